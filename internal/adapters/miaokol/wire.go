package miaokol

import (
	"bytes"
	"encoding/json"
	"errors"
	"strconv"
	"time"
)

// num is an integer Miaokol writes either as a JSON number or as a string
// of digits: /smart-tag/list answers tag ids as strings ("2") and group
// ids as numbers, /smart-tag/add answers numbers. It is read exactly
// (never through float64); null and "" read as 0 (not given).
type num int64

func (n *num) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if string(b) == "null" {
		*n = 0
		return nil
	}
	s := string(b)
	if len(b) > 0 && b[0] == '"' {
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		if s == "" {
			*n = 0
			return nil
		}
	}
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return errors.New("not an integer")
	}
	*n = num(v)
	return nil
}

// id is n as a gateway-side id: its decimal text, "" for 0 or less (not
// an id).
func (n num) id() string {
	if n <= 0 {
		return ""
	}
	return strconv.FormatInt(int64(n), 10)
}

// seconds reads n as epoch seconds (ctime, utime); 0 is no time.
func (n num) seconds() time.Time {
	if n <= 0 {
		return time.Time{}
	}
	return time.Unix(int64(n), 0).UTC()
}

// Smart-tag types, the type member of /smart-tag/add and of records.
const (
	typeTag   = 1
	typeGroup = 2
)

// mkGroup is a tag group as /smart-tag/list answers it; tags only with
// with_tags=1. Tags are kept as bytes, each decoded as an mkTag, so that
// include=raw can give each tag's own record.
type mkGroup struct {
	ID   num               `json:"id"`
	Name string            `json:"name"`
	Type num               `json:"type"`
	Tags []json.RawMessage `json:"tags"`
}

// mkTag is a tag inside a group of /smart-tag/list (ids as strings there).
type mkTag struct {
	ID         num    `json:"id"`
	Name       string `json:"name"`
	ParentID   num    `json:"parent_id"`
	ContactCnt *num   `json:"contact_cnt"`
}

// mkRecord is the smart tag (group or tag) /smart-tag/add answers.
type mkRecord struct {
	ID       num    `json:"id"`
	Name     string `json:"name"`
	Type     num    `json:"type"`
	ParentID num    `json:"parent_id"`
	CTime    num    `json:"ctime"`
	UTime    num    `json:"utime"`
}

// pager is the paging summary of /smart-tag/list.
type pager struct {
	NumRecords num `json:"numRecords"`
	NumPages   num `json:"numPages"`
}
