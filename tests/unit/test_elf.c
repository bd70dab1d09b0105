/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for src/elf.c: what kind of program the probe faces, from
 * ELF headers built in memory and from files. */
#include <fcntl.h>
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#include <cmocka.h>
/* With -Isrc, <elf.h> would be memrun's own: the kernel's header has the
 * same Elf64_Ehdr and Elf64_Phdr. */
#include <linux/elf.h>

#include "elf.h"
#include "util.h"

/* Ends a list of program header types (PT_NULL is a type like any). */
#define TYPES_END UINT32_MAX
#define IMAGE_MAX 4096

static const char *kind_name(enum program_kind kind)
{
	static const char *const names[] = {
		[PROGRAM_DYNAMIC] = "dynamic", [PROGRAM_STATIC] = "static",
		[PROGRAM_SETID] = "setid",     [PROGRAM_SCRIPT] = "script",
		[PROGRAM_UNKNOWN] = "unknown",
	};
	return (unsigned)kind < ELEMENTSOF(names) ? names[kind] : "out of range";
}

/* An x86-64 executable's header with program headers of the given types
 * at phoff; returns the image's length. */
static size_t build_elf(unsigned char *image, uint64_t phoff, const uint32_t *types)
{
	Elf64_Ehdr eh = {
		.e_ident = { ELFMAG0, ELFMAG1, ELFMAG2, ELFMAG3, ELFCLASS64, ELFDATA2LSB,
			     EV_CURRENT, ELFOSABI_NONE },
		.e_type = ET_DYN,
		.e_machine = EM_X86_64,
		.e_version = EV_CURRENT,
		.e_entry = 0x1040,
		.e_phoff = phoff,
		.e_ehsize = sizeof(Elf64_Ehdr),
		.e_phentsize = sizeof(Elf64_Phdr),
	};
	size_t len = sizeof(eh);

	memset(image, 0, IMAGE_MAX);
	for (; types[eh.e_phnum] != TYPES_END; eh.e_phnum++) {
		Elf64_Phdr ph = { .p_type = types[eh.e_phnum], .p_flags = PF_R, .p_align = 8 };
		size_t at = phoff + eh.e_phnum * sizeof(ph);

		assert_true(at + sizeof(ph) <= IMAGE_MAX);
		memcpy(image + at, &ph, sizeof(ph));
		len = at + sizeof(ph);
	}
	memcpy(image, &eh, sizeof(eh));
	return len;
}

#define TYPES(...) ((const uint32_t[]){ __VA_ARGS__, TYPES_END })
#define NO_TYPES ((const uint32_t[]){ TYPES_END })

static const struct {
	const char *what;
	uint64_t phoff;
	const uint32_t *types;
	size_t shift;	/* the image this far into the buffer */
	enum program_kind kind;
} images[] = {
	{ "PT_INTERP", sizeof(Elf64_Ehdr),
	  TYPES(PT_PHDR, PT_INTERP, PT_LOAD, PT_LOAD, PT_DYNAMIC, PT_GNU_STACK), 0,
	  PROGRAM_DYNAMIC },
	{ "PT_INTERP last", sizeof(Elf64_Ehdr), TYPES(PT_LOAD, PT_NOTE, PT_NULL, PT_INTERP), 0,
	  PROGRAM_DYNAMIC },
	{ "PT_INTERP alone", sizeof(Elf64_Ehdr), TYPES(PT_INTERP), 0, PROGRAM_DYNAMIC },
	{ "no PT_INTERP", sizeof(Elf64_Ehdr),
	  TYPES(PT_LOAD, PT_LOAD, PT_NOTE, PT_TLS, PT_GNU_STACK), 0, PROGRAM_STATIC },
	{ "static-pie: PT_DYNAMIC without PT_INTERP", sizeof(Elf64_Ehdr),
	  TYPES(PT_PHDR, PT_LOAD, PT_DYNAMIC, PT_GNU_RELRO, PT_GNU_STACK), 0, PROGRAM_STATIC },
	{ "no program headers", sizeof(Elf64_Ehdr), NO_TYPES, 0, PROGRAM_STATIC },
	{ "program headers far from the header", 1024, TYPES(PT_LOAD, PT_INTERP), 0,
	  PROGRAM_DYNAMIC },
	{ "program headers at an odd offset", 65, TYPES(PT_LOAD, PT_INTERP), 0,
	  PROGRAM_DYNAMIC },
	{ "the file's bytes at an odd address", sizeof(Elf64_Ehdr), TYPES(PT_LOAD, PT_INTERP),
	  1, PROGRAM_DYNAMIC },
	{ "no PT_INTERP at an odd address", sizeof(Elf64_Ehdr), TYPES(PT_LOAD), 3,
	  PROGRAM_STATIC },
};

static void test_images(void **state)
{
	(void)state;
	for (size_t i = 0; i < ELEMENTSOF(images); i++) {
		_Alignas(8) unsigned char buf[IMAGE_MAX + 8], image[IMAGE_MAX];
		size_t len = build_elf(image, images[i].phoff, images[i].types);
		enum program_kind kind;

		memcpy(buf + images[i].shift, image, len);
		kind = program_kind_from_header(buf + images[i].shift, len);
		if (kind != images[i].kind)
			fail_msg("%s: %s, expected %s", images[i].what, kind_name(kind),
				 kind_name(images[i].kind));
	}
}

/* One field of a good dynamic image damaged. */
enum damage { INTACT, CLASS, MAGIC, PHOFF, PHNUM, PHENTSIZE, LENGTH };

#define DYNAMIC_LEN (sizeof(Elf64_Ehdr) + 3 * sizeof(Elf64_Phdr))

static const struct {
	const char *what;
	enum damage damage;
	uint64_t value;
	enum program_kind kind;
} damaged[] = {
	{ "intact", INTACT, 0, PROGRAM_DYNAMIC },
	{ "32-bit class", CLASS, ELFCLASS32, PROGRAM_UNKNOWN },
	{ "no class", CLASS, ELFCLASSNONE, PROGRAM_UNKNOWN },
	{ "bad magic", MAGIC, 'G', PROGRAM_UNKNOWN },
	{ "header cut short", LENGTH, sizeof(Elf64_Ehdr) - 1, PROGRAM_UNKNOWN },
	{ "only the magic", LENGTH, SELFMAG, PROGRAM_UNKNOWN },
	{ "nothing", LENGTH, 0, PROGRAM_UNKNOWN },
	{ "program headers cut short", LENGTH, DYNAMIC_LEN - 1, PROGRAM_UNKNOWN },
	{ "program headers end at the end", LENGTH, DYNAMIC_LEN, PROGRAM_DYNAMIC },
	{ "e_phoff at the end", PHOFF, DYNAMIC_LEN, PROGRAM_UNKNOWN },
	{ "e_phoff past the end", PHOFF, DYNAMIC_LEN + 1, PROGRAM_UNKNOWN },
	{ "e_phoff far past the end", PHOFF, UINT64_MAX, PROGRAM_UNKNOWN },
	{ "e_phoff one entry too late", PHOFF, sizeof(Elf64_Ehdr) + 1, PROGRAM_UNKNOWN },
	{ "e_phnum one past the end", PHNUM, 4, PROGRAM_UNKNOWN },
	{ "e_phnum far past the end", PHNUM, 0xffff, PROGRAM_UNKNOWN },
	{ "e_phnum without PT_INTERP's entry", PHNUM, 1, PROGRAM_STATIC },
	{ "32-bit program header size", PHENTSIZE, sizeof(Elf32_Phdr), PROGRAM_UNKNOWN },
	{ "no program header size", PHENTSIZE, 0, PROGRAM_UNKNOWN },
};

static void test_damaged(void **state)
{
	(void)state;
	for (size_t i = 0; i < ELEMENTSOF(damaged); i++) {
		_Alignas(8) unsigned char image[IMAGE_MAX];
		size_t len =
			build_elf(image, sizeof(Elf64_Ehdr), TYPES(PT_LOAD, PT_INTERP, PT_LOAD));
		Elf64_Ehdr eh;
		enum program_kind kind;

		assert_int_equal(len, DYNAMIC_LEN);
		memcpy(&eh, image, sizeof(eh));
		switch (damaged[i].damage) {
		case INTACT:
			break;
		case CLASS:
			eh.e_ident[EI_CLASS] = (unsigned char)damaged[i].value;
			break;
		case MAGIC:
			eh.e_ident[EI_MAG3] = (unsigned char)damaged[i].value;
			break;
		case PHOFF:
			eh.e_phoff = damaged[i].value;
			break;
		case PHNUM:
			eh.e_phnum = (Elf64_Half)damaged[i].value;
			break;
		case PHENTSIZE:
			eh.e_phentsize = (Elf64_Half)damaged[i].value;
			break;
		case LENGTH:
			len = (size_t)damaged[i].value;
			break;
		}
		memcpy(image, &eh, sizeof(eh));
		kind = program_kind_from_header(image, len);
		if (kind != damaged[i].kind)
			fail_msg("%s: %s, expected %s", damaged[i].what, kind_name(kind),
				 kind_name(damaged[i].kind));
	}
}

static const struct {
	const char *what;
	const char *bytes;
	size_t len;
	enum program_kind kind;
} texts[] = {
	{ "a shell script", "#!/bin/sh\necho hi\n", 19, PROGRAM_SCRIPT },
	{ "a space after #!", "#! /usr/bin/env python3\n", 24, PROGRAM_SCRIPT },
	{ "only #!", "#!", 2, PROGRAM_SCRIPT },
	{ "only #", "#", 1, PROGRAM_UNKNOWN },
	{ "a comment is no #!", "# comment\n", 10, PROGRAM_UNKNOWN },
	{ "empty", "", 0, PROGRAM_UNKNOWN },
	{ "the ELF magic alone", ELFMAG, SELFMAG, PROGRAM_UNKNOWN },
	{ "a PE file", "MZ\x90\0\3\0\0\0\4\0\0\0\xff\xff\0\0", 16, PROGRAM_UNKNOWN },
};

static void test_texts(void **state)
{
	(void)state;
	for (size_t i = 0; i < ELEMENTSOF(texts); i++) {
		const unsigned char *bytes = (const unsigned char *)texts[i].bytes;
		enum program_kind kind = program_kind_from_header(bytes, texts[i].len);

		if (kind != texts[i].kind)
			fail_msg("%s: %s, expected %s", texts[i].what, kind_name(kind),
				 kind_name(texts[i].kind));
	}
}

/* ---- files ---------------------------------------------------------------- */

static char tmp_dir[] = "/tmp/memrun-test-elf.XXXXXX";

static void write_file(const char *name, const void *data, size_t len, mode_t mode)
{
	_cleanup_free_ char *path = xasprintf("%s/%s", tmp_dir, name);
	_cleanup_close_ int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	/* chmod: the umask must not take setuid or the x bits away. */
	assert_int_equal(fchmod(fd, mode), 0);
}

static void write_script(const char *name, const char *interpreter)
{
	_cleanup_free_ char *text = xasprintf("#!%s\nexit 0\n", interpreter);

	write_file(name, text, strlen(text), 0755);
}

static int files_setup(void **state)
{
	_Alignas(8) unsigned char image[IMAGE_MAX];
	_cleanup_free_ char *loop = NULL, *setuid_script = NULL, *static_script = NULL,
			   *chain = NULL;
	size_t len;

	(void)state;
	if (!mkdtemp(tmp_dir))
		return -1;
	len = build_elf(image, sizeof(Elf64_Ehdr), TYPES(PT_LOAD, PT_GNU_STACK));
	write_file("static", image, len, 0755);
	len = build_elf(image, sizeof(Elf64_Ehdr), TYPES(PT_PHDR, PT_INTERP, PT_LOAD));
	write_file("setuid", image, len, 04755);
	write_file("setgid", image, len, 02755);
	write_file("empty", "", 0, 0755);
	write_script("script", "/bin/sh");
	write_script("script-spaced", " /bin/sh -e");
	write_script("script-missing", "/nonexistent/memrun-interpreter");
	write_script("script-empty", "");
	static_script = xasprintf("%s/static", tmp_dir);
	write_script("script-static", static_script);
	setuid_script = xasprintf("%s/setuid", tmp_dir);
	write_script("script-setuid", setuid_script);
	/* Scripts running scripts: followed a few levels, not for ever. */
	chain = xasprintf("%s/script", tmp_dir);
	write_script("chain-1", chain);
	free(chain), chain = xasprintf("%s/chain-1", tmp_dir);
	write_script("chain-2", chain);
	free(chain), chain = xasprintf("%s/chain-2", tmp_dir);
	write_script("chain-3", chain);
	free(chain), chain = xasprintf("%s/chain-3", tmp_dir);
	write_script("chain-4", chain);
	free(chain), chain = xasprintf("%s/chain-4", tmp_dir);
	write_script("chain-5", chain);
	loop = xasprintf("%s/loop", tmp_dir);
	write_script("loop", loop);
	/* What a job may leave in its program's place: a FIFO nobody
	 * writes to (an open that waited would wait for ever). */
	free(chain), chain = xasprintf("%s/fifo", tmp_dir);
	if (mkfifo(chain, 0755) < 0 || chmod(chain, 0755) < 0)
		return -1;
	write_script("script-fifo", chain);
	return 0;
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st, (void)flag, (void)ftw;
	return remove(path);
}

static int files_teardown(void **state)
{
	(void)state;
	return nftw(tmp_dir, remove_entry, 8, FTW_DEPTH | FTW_PHYS);
}

static const struct {
	const char *path;	/* relative: in the temporary directory */
	enum program_kind kind;
} files[] = {
	{ "/bin/sh", PROGRAM_DYNAMIC },
	{ "static", PROGRAM_STATIC },
	{ "setuid", PROGRAM_SETID },
	{ "setgid", PROGRAM_SETID },
	{ "empty", PROGRAM_UNKNOWN },
	{ "script", PROGRAM_DYNAMIC },
	{ "script-spaced", PROGRAM_DYNAMIC },
	{ "script-static", PROGRAM_STATIC },
	{ "script-setuid", PROGRAM_SETID },
	{ "script-missing", PROGRAM_UNKNOWN },
	{ "script-empty", PROGRAM_UNKNOWN },
	{ "chain-3", PROGRAM_DYNAMIC },
	{ "chain-4", PROGRAM_SCRIPT },
	{ "chain-5", PROGRAM_SCRIPT },
	{ "loop", PROGRAM_SCRIPT },
	{ "missing", PROGRAM_UNKNOWN },
	{ ".", PROGRAM_UNKNOWN },
	{ "fifo", PROGRAM_UNKNOWN },
	{ "script-fifo", PROGRAM_UNKNOWN },
	{ "/dev/null", PROGRAM_UNKNOWN },
};

static void test_files(void **state)
{
	(void)state;
	for (size_t i = 0; i < ELEMENTSOF(files); i++) {
		_cleanup_free_ char *path = files[i].path[0] == '/' ?
						    xstrdup(files[i].path) :
						    xasprintf("%s/%s", tmp_dir, files[i].path);
		enum program_kind kind = program_kind(path);

		if (kind != files[i].kind)
			fail_msg("program_kind(\"%s\") = %s, expected %s", files[i].path,
				 kind_name(kind), kind_name(files[i].kind));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_images),
		cmocka_unit_test(test_damaged),
		cmocka_unit_test(test_texts),
		cmocka_unit_test_setup_teardown(test_files, files_setup, files_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
