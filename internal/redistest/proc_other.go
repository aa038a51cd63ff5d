//go:build !unix

package redistest

import (
	"os"
	"syscall"
)

func sysProcAttr() *syscall.SysProcAttr { return nil }

// killGroup kills p; without process groups only p itself.
func killGroup(p *os.Process) { _ = p.Kill() }
