// bad_alloc: ask operator new for more than the limit allows and let
// std::bad_alloc end the program (std::terminate: SIGABRT).
#include <cstdio>
#include <vector>

int main()
{
	std::vector<char *> kept;
	for (;;)
		kept.push_back(new char[64 << 20]);
}
