//go:build unix && !linux

package redistest

import (
	"os"
	"syscall"
)

// sysProcAttr puts redis-server in its own process group, so that Stop can
// kill everything it runs.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}

// killGroup kills p's process group.
func killGroup(p *os.Process) {
	if err := syscall.Kill(-p.Pid, syscall.SIGKILL); err != nil {
		_ = p.Kill()
	}
}
