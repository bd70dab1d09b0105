# 'make check-vm': the integration suite on a pure cgroup v2 hierarchy, in a
# VM booting Debian's own kernel under qemu (tests/vm/run-in-vm.sh), whatever
# hierarchy the host has; then, in a second boot with systemd as PID 1, the
# systemd suite (tests/systemd/).  Each boot ends with its own "N passed"
# line; either failing fails the target.  Included by the top-level
# Makefile.  The VM sees
# the repo as it was when the VM started, so rebuilding here meanwhile does
# not disturb the run.  MEMRUN_IN_VM=1 there lets tests do what they must
# never do to a host (vm.overcommit_memory=2, say).
#
# Only when the VM's packages cannot be had and we are not root to install
# them does it skip, loudly, with status 0; as root any failure is a failure.

define vm_skip
	echo "**********************************************************************" >&2; \
	echo "SKIPPED: make check-vm did not run the suite: $(1)" >&2; \
	echo "**********************************************************************" >&2; \
	exit 0
endef

check-vm:
	@if ! scripts/install-deps.sh build check vm; then \
		if [ "$$(id -u)" -ne 0 ] && scripts/install-deps.sh build check 2>/dev/null; then \
			$(call vm_skip,the VM's packages are missing and only root can install them (see above)); \
		fi; \
		exit 1; \
	fi; \
	tests/vm/build-image.sh || { \
		rc=$$?; \
		if [ $$rc -eq 77 ] && [ "$$(id -u)" -ne 0 ]; then \
			$(call vm_skip,Debian's kernel package cannot be downloaded (see above)); \
		fi; \
		exit $$rc; \
	}; \
	$(MAKE) --no-print-directory all $(UNIT_TESTS) $(HELPERS) site-build || exit 1; \
	export MEMRUN_IN_VM=1 VM_PASS_ENV="MEMRUN_IN_VM $${VM_PASS_ENV:-}"; \
	status=0; \
	echo "== check-vm: the integration suite, a shell as PID 1"; \
	tests/vm/run-in-vm.sh --snapshot . -- tests/run.sh integration || status=1; \
	echo "== check-vm: the systemd suite, systemd as PID 1"; \
	tests/vm/run-in-vm.sh --systemd --snapshot . -- tests/run.sh systemd || status=1; \
	exit $$status
