package memory

import (
	"context"
	"sync"

	"github.com/cdp-gateway/cdp-gateway/internal/domain"
)

// IDMap is an in-process domain.IDMapStore.
type IDMap struct {
	mu sync.RWMutex
	m  map[string]map[string]string // tenant -> from -> to
}

var _ domain.IDMapStore = (*IDMap)(nil)

// NewIDMap returns an empty in-process id map.
func NewIDMap() *IDMap { return &IDMap{m: make(map[string]map[string]string)} }

// PutIDs implements domain.IDMapStore.
func (s *IDMap) PutIDs(_ context.Context, tenant string, pairs map[string]string) error {
	if len(pairs) == 0 {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.m[tenant]
	if m == nil {
		m = make(map[string]string, len(pairs))
		s.m[tenant] = m
	}
	for from, to := range pairs {
		m[from] = to
	}
	return nil
}

// LookupIDs implements domain.IDMapStore.
func (s *IDMap) LookupIDs(_ context.Context, tenant string, ids []string) (map[string]string, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make(map[string]string)
	for _, id := range ids {
		if to, ok := s.m[tenant][id]; ok {
			out[id] = to
		}
	}
	return out, nil
}
