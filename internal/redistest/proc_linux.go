package redistest

import (
	"os"
	"syscall"
)

// sysProcAttr puts redis-server in its own process group, so that Stop can
// kill everything it runs, and has the kernel kill it if the test binary
// dies without cleaning up.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}

// killGroup kills p's process group.
func killGroup(p *os.Process) {
	if err := syscall.Kill(-p.Pid, syscall.SIGKILL); err != nil {
		_ = p.Kill()
	}
}
