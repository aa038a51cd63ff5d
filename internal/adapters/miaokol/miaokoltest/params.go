package miaokoltest

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// jsonBody is a POST's parameters: the members of its JSON object body.
// A member that is null counts as absent.
type jsonBody map[string]json.RawMessage

// readBody reads a POST's body, which must be a JSON object sent as
// application/json.
func readBody(r *http.Request) (jsonBody, error) {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "application/json" {
		return nil, failure("请求格式错误,Content-Type须为application/json")
	}
	raw, err := io.ReadAll(r.Body)
	if err != nil {
		return nil, failure("请求体读取失败")
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	var b jsonBody
	if err := dec.Decode(&b); err != nil || b == nil {
		return nil, failure("请求参数格式错误,须为JSON对象")
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, failure("请求参数格式错误,须为JSON对象")
	}
	return b, nil
}

// member is name's value, false when it is absent or null.
func (b jsonBody) member(name string) (json.RawMessage, bool) {
	raw, ok := b[name]
	if !ok || string(raw) == "null" {
		return nil, false
	}
	return raw, true
}

// decode reads name into v, reporting whether it was there.
func (b jsonBody) decode(name string, v any, want string) (bool, error) {
	raw, ok := b.member(name)
	if !ok {
		return false, nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		return true, failure("参数%s类型错误,应为%s", name, want)
	}
	return true, nil
}

// optionalString reads a string member; absent is "".
func (b jsonBody) optionalString(name string) (string, error) {
	var s string
	_, err := b.decode(name, &s, "字符串")
	return s, err
}

// requiredString reads a string member that must not be absent or empty.
func (b jsonBody) requiredString(name string) (string, error) {
	s, err := b.optionalString(name)
	if err == nil && s == "" {
		err = failure("缺少参数%s", name)
	}
	return s, err
}

// optionalInt reads an integer member (a JSON number, not a string of
// digits); absent is 0. Negative values are refused.
func (b jsonBody) optionalInt(name string) (int64, bool, error) {
	// Into any, not json.Number, which would take a string of digits.
	var v any
	ok, err := b.decode(name, &v, "整数")
	if !ok || err != nil {
		return 0, ok, err
	}
	i, isInt := integer(v)
	if !isInt {
		return 0, true, failure("参数%s类型错误,应为整数", name)
	}
	if i < 0 {
		return 0, true, failure("参数%s不能为负数", name)
	}
	return i, true, nil
}

// requiredInts reads a member that must be an array of integers (JSON
// numbers, not strings); [] is allowed.
func (b jsonBody) requiredInts(name string) ([]int64, error) {
	var raw []any
	ok, err := b.decode(name, &raw, "整数数组")
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, failure("缺少参数%s", name)
	}
	ids := make([]int64, len(raw))
	for i, v := range raw {
		id, isInt := integer(v)
		if !isInt {
			return nil, failure("参数%s类型错误,应为整数数组", name)
		}
		ids[i] = id
	}
	return ids, nil
}

// integer reads a JSON number decoded with UseNumber that is an int64;
// strings, fractions and other types are not.
func integer(v any) (int64, bool) {
	n, ok := v.(json.Number)
	if !ok {
		return 0, false
	}
	i, err := strconv.ParseInt(n.String(), 10, 64)
	return i, err == nil
}

// requiredStrings reads a member that must be a non-empty array of
// strings.
func (b jsonBody) requiredStrings(name string) ([]string, error) {
	var list []string
	ok, err := b.decode(name, &list, "字符串数组")
	switch {
	case err != nil:
		return nil, err
	case !ok:
		return nil, failure("缺少参数%s", name)
	case len(list) == 0:
		return nil, failure("参数%s不能为空", name)
	}
	return list, nil
}

// queryParams are a GET's parameters.
type queryParams url.Values

// integer reads an optional integer parameter; absent or empty is def.
func (q queryParams) integer(name string, def int64) (int64, error) {
	v := url.Values(q).Get(name)
	if v == "" {
		return def, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return 0, failure("参数%s类型错误,应为整数", name)
	}
	return n, nil
}

// cleanName trims a group or tag name, which must not be blank.
func cleanName(param, v string) (string, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return "", failure("参数%s不能为空", param)
	}
	return v, nil
}
