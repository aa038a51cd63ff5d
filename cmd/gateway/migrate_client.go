package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	gwhttp "github.com/cdp-gateway/cdp-gateway/internal/http"
)

// adminTimeout bounds one admin API call.
const adminTimeout = 30 * time.Second

// adminClient calls a tenant's migration routes of the admin API.
type adminClient struct {
	base, tenant string
	// key is sent as the bearer token and nowhere else.
	key  string
	http http.Client
}

func (c *adminClient) path(migration string) string {
	p := "/admin/v1/tenants/" + url.PathEscape(c.tenant) + "/migrations"
	if migration != "" {
		p += "/" + url.PathEscape(migration)
	}
	return p
}

// list answers GET /admin/v1/tenants/{tenant}/migrations.
func (c *adminClient) list(ctx context.Context) (gwhttp.MigrationList, error) {
	var out gwhttp.MigrationList
	return out, c.do(ctx, http.MethodGet, c.path(""), nil, &out)
}

// start answers POST /admin/v1/tenants/{tenant}/migrations.
func (c *adminClient) start(ctx context.Context, in gwhttp.MigrationInput) (gwhttp.Migration, error) {
	var out gwhttp.Migration
	return out, c.do(ctx, http.MethodPost, c.path(""), in, &out)
}

// get answers GET /admin/v1/tenants/{tenant}/migrations/{migration}.
func (c *adminClient) get(ctx context.Context, id string) (gwhttp.Migration, error) {
	var out gwhttp.Migration
	return out, c.do(ctx, http.MethodGet, c.path(id), nil, &out)
}

// cancel answers DELETE /admin/v1/tenants/{tenant}/migrations/{migration}.
func (c *adminClient) cancel(ctx context.Context, id string) (gwhttp.Migration, error) {
	var out gwhttp.Migration
	return out, c.do(ctx, http.MethodDelete, c.path(id), nil, &out)
}

// do sends one call and decodes a 2xx answer into out; any other answer
// is an *apiProblem.
func (c *adminClient) do(ctx context.Context, method, path string, in, out any) error {
	ctx, cancel := context.WithTimeout(ctx, adminTimeout)
	defer cancel()
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, body)
	if err != nil {
		return fmt.Errorf("--url: %w", err)
	}
	req.Header.Set("Authorization", "Bearer "+c.key)
	req.Header.Set("Accept", "application/json")
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := c.http.Do(req)
	if err != nil {
		// *url.Error names the method and URL, never the headers.
		return err
	}
	defer func() { _ = res.Body.Close() }()
	b, err := io.ReadAll(io.LimitReader(res.Body, 4<<20))
	if err != nil {
		return fmt.Errorf("%s %s: reading the answer: %w", method, path, err)
	}
	if res.StatusCode/100 != 2 {
		return newAPIProblem(res, b)
	}
	if err := json.Unmarshal(b, out); err != nil {
		return fmt.Errorf("%s %s: the answer is not a migration: %w", method, path, err)
	}
	return nil
}

// apiProblem is an answer of the gateway other than a success: its
// problem+json, or what came instead.
type apiProblem struct {
	Status    int
	Code      gwhttp.ProblemCode
	Title     string
	Detail    string
	RequestID string
	Fields    []gwhttp.FieldError
}

func newAPIProblem(res *http.Response, body []byte) *apiProblem {
	p := &apiProblem{Status: res.StatusCode}
	var pj gwhttp.Problem
	if strings.HasPrefix(res.Header.Get("Content-Type"), "application/problem+json") && json.Unmarshal(body, &pj) == nil {
		p.Code, p.Title, p.RequestID, p.Fields = pj.Code, pj.Title, pj.RequestID, pj.Errors
		if pj.Detail != nil {
			p.Detail = *pj.Detail
		}
		return p
	}
	// Not the gateway's answer (a proxy, a wrong --url): the status says
	// enough, and the body could be anything.
	p.Title = http.StatusText(res.StatusCode)
	p.Detail = "the answer is not a problem+json; is --url the gateway's admin address?"
	return p
}

func (p *apiProblem) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d", p.Status)
	if p.Code != "" {
		fmt.Fprintf(&b, " %s", p.Code)
	}
	fmt.Fprintf(&b, ": %s", p.Title)
	if p.Detail != "" {
		fmt.Fprintf(&b, ": %s", p.Detail) // the gateway's detail names the fields at fault
	} else {
		for _, f := range p.Fields {
			fmt.Fprintf(&b, "; %s: %s", f.Field, f.Message)
		}
	}
	if p.RequestID != "" {
		fmt.Fprintf(&b, " (request %s)", p.RequestID)
	}
	return b.String()
}
