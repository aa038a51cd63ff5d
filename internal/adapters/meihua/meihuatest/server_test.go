package meihuatest_test

import (
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/cdp-gateway/cdp-gateway/internal/adapters/meihua/meihuatest"
)

// endpoints are every API endpoint with its documented method and valid
// parameters, on a simulator seeded by seedOne (property 1, contact 2).
var endpoints = []struct {
	method, path string
	params       url.Values
}{
	{"GET", "/contact/setting", nil},
	{"POST", "/contact/add", vals("contacts", `[{"email":"a@example.com"}]`, "opType", "3")},
	{"POST", "/contact/delete", vals("ids", "[999]")},
	{"POST", "/contact/edit", vals("contacts", `[["a@example.com","x"]]`, "fields", `[{"field":"email","isUniq":true},{"field":"notes"}]`)},
	{"GET", "/contact/detail", vals("id", "2")},
	{"GET", "/contact/all", vals("page", "1", "limit", "10")},
	{"POST", "/contact/group/add", vals("name", "g")},
	{"POST", "/contact/group/delete", vals("ids", "[999]", "flag", "false")},
	{"GET", "/contact/group/all", vals("page", "1", "limit", "10")},
	{"POST", "/contact/tag/add", vals("name", "t")},
	{"GET", "/contact/tag/all", vals("page", "1", "limit", "10")},
	{"POST", "/contact/property/add", vals("label", "l", "fieldType", "1", "description", "d")},
	{"POST", "/contact/property/edit", vals("id", "1", "label", "l", "fieldType", "1", "description", "d")},
	{"POST", "/contact/property/all", nil},
	{"POST", "/contact/property/delete", vals("id", "999")},
	{"GET", "/edm/tasks", vals("start", "0", "end", "9999999999999")},
	{"GET", "/edm/task/detail", vals("type", "0", "id", "1", "start", "0", "end", "9999999999999", "page", "1", "limit", "10")},
}

// seedOne gives a fresh simulator property 1 and contact 2, which the
// endpoints' parameters name.
func seedOne(e *env) {
	e.t.Helper()
	p := e.sim.AddProperty("p", 1, "d")
	c := e.sim.AddContact(meihuatest.Contact{Email: "a@example.com"})
	if p != 1 || c != 2 {
		e.t.Fatalf("ids %d and %d, want 1 and 2 on a fresh simulator", p, c)
	}
}

func TestEveryEndpointSucceeds(t *testing.T) {
	t.Parallel()
	for _, ep := range endpoints {
		t.Run(ep.path, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, meihuatest.Config{})
			seedOne(e)
			e.ok(ep.method, ep.path, ep.params, nil)
			if n := e.sim.APICalls(); n != 1 {
				t.Errorf("APICalls %d", n)
			}
		})
	}
}

func TestEveryEndpointRequiresToken(t *testing.T) {
	t.Parallel()
	e := newEnv(t, meihuatest.Config{})
	expired := e.token
	e.clock.Advance(25 * time.Hour)
	for _, ep := range endpoints {
		for _, tok := range []string{"", "unknown", expired} {
			q := url.Values{}
			if tok != "" {
				q.Set("token", tok)
			}
			var form url.Values
			if ep.method == http.MethodPost {
				form = ep.params
			} else {
				for k, v := range ep.params {
					q[k] = v
				}
			}
			expectCode(t, e.send(ep.method, ep.path, q, form), meihuatest.CodeInvalidToken)
		}
	}
	if n := e.sim.APICalls(); n != 0 {
		t.Errorf("APICalls %d: refused tokens must not count", n)
	}
}

func TestUnknownPathAndMethod(t *testing.T) {
	t.Parallel()
	e := newEnv(t, meihuatest.Config{})
	type errorBody struct {
		Success *bool  `json:"success"`
		Code    string `json:"code"`
		Msg     string `json:"msg"`
	}
	check := func(a answer, status int, code, allow string) {
		t.Helper()
		var b errorBody
		decode(t, a.body, &b)
		if a.status != status || b.Success == nil || *b.Success || b.Code != code || b.Msg == "" ||
			a.header.Get("Allow") != allow || a.header.Get("Content-Type") != "application/json;charset=UTF-8" {
			t.Errorf("%d %s Allow %q, want %d %s Allow %q", a.status, a.body, a.header.Get("Allow"), status, code, allow)
		}
	}
	check(e.call(http.MethodGet, "/contact/nothing", nil), http.StatusNotFound, "NOT_FOUND", "")
	check(e.call(http.MethodGet, "/v2/contact/all", vals("page", "1", "limit", "1")), http.StatusNotFound, "NOT_FOUND", "")
	check(e.call(http.MethodPost, "/contact/all", vals("page", "1", "limit", "1")), http.StatusMethodNotAllowed, "METHOD_NOT_ALLOWED", "GET")
	check(e.call(http.MethodGet, "/contact/add", nil), http.StatusMethodNotAllowed, "METHOD_NOT_ALLOWED", "POST")
	check(e.call(http.MethodGet, "/contact/property/all", nil), http.StatusMethodNotAllowed, "METHOD_NOT_ALLOWED", "POST")
	// The token is checked first.
	expectCode(t, e.send(http.MethodGet, "/contact/nothing", nil, nil), meihuatest.CodeInvalidToken)
	if n := e.sim.APICalls(); n != 0 {
		t.Errorf("APICalls %d: unknown paths and methods must not count", n)
	}
	big := strings.Repeat("x", 8<<20+1)
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, e.base+"/contact/add?token="+e.token, strings.NewReader(big))
	check(e.roundTrip(req), http.StatusRequestEntityTooLarge, "PAYLOAD_TOO_LARGE", "")
}

func TestHourlyBudget(t *testing.T) {
	t.Parallel()
	// 10:59:58 China Standard Time.
	start := time.Date(2024, 3, 16, 2, 59, 58, 0, time.UTC)
	e := newEnv(t, meihuatest.Config{CallsPerHour: 3, Now: nil})
	e.clock.Set(start)
	e.token, _ = e.sim.Grant()
	add := func(name string) answer { return e.call(http.MethodPost, "/contact/group/add", vals("name", name)) }
	for _, name := range []string{"a", "b"} {
		e.ok(http.MethodPost, "/contact/group/add", vals("name", name), nil)
	}
	e.fails(http.MethodPost, "/contact/group/add", nil, meihuatest.CodeMissingParameter) // refused calls count too
	expectCode(t, add("c"), meihuatest.CodeRateLimited)
	e.clock.Advance(time.Second)
	expectCode(t, add("d"), meihuatest.CodeRateLimited)
	// OAuth calls are not API calls: they work and do not count.
	_, rt := e.sim.Grant()
	e.grant(refreshQuery(rt))
	if len(e.sim.Groups()) != 2 || e.sim.CallsThisHour() != 5 || e.sim.APICalls() != 5 {
		t.Fatalf("groups %v, calls this hour %d, API calls %d", e.sim.Groups(), e.sim.CallsThisHour(), e.sim.APICalls())
	}
	e.clock.Advance(time.Second) // 11:00:00: a new window
	if e.sim.CallsThisHour() != 0 {
		t.Errorf("CallsThisHour %d in a new hour", e.sim.CallsThisHour())
	}
	e.ok(http.MethodPost, "/contact/group/add", vals("name", "e"), nil)
	e.clock.Advance(59*time.Minute + 59*time.Second) // 11:59:59, same window
	e.ok(http.MethodGet, "/contact/setting", nil, nil)
	e.ok(http.MethodGet, "/contact/setting", nil, nil)
	e.fails(http.MethodGet, "/contact/setting", nil, meihuatest.CodeRateLimited)
}

// Windows are clock hours of China Standard Time (UTC+8): a whole-hour
// offset, so they start with UTC's hours; a window is not 60 minutes from
// the first call.
func TestHourlyBudgetWindowIsTheClockHour(t *testing.T) {
	t.Parallel()
	e := newEnv(t, meihuatest.Config{CallsPerHour: 1})
	e.clock.Set(time.Date(2024, 3, 16, 15, 59, 59, 0, time.FixedZone("CST", 8*3600)))
	e.token, _ = e.sim.Grant()
	e.ok(http.MethodGet, "/contact/setting", nil, nil)
	e.clock.Advance(time.Second)
	e.ok(http.MethodGet, "/contact/setting", nil, nil)
	e.fails(http.MethodGet, "/contact/setting", nil, meihuatest.CodeRateLimited)
}

func TestPlanBudgets(t *testing.T) {
	t.Parallel()
	tests := []struct {
		plan  meihuatest.Plan
		calls int
	}{
		{meihuatest.PlanGold, 2000},
		{meihuatest.PlanDiamond, 4000},
		{meihuatest.PlanFree, 1000},
		{meihuatest.PlanGoldExpired, 1000},
		{meihuatest.PlanDiamondExpired, 1000},
	}
	for _, tt := range tests {
		t.Run(tt.plan.String(), func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, meihuatest.Config{Plan: tt.plan})
			var wg sync.WaitGroup
			errs := make(chan string, tt.calls)
			for range 8 {
				wg.Go(func() {
					for range tt.calls / 8 {
						if a := e.call(http.MethodGet, "/contact/setting", nil); !strings.Contains(string(a.body), `"success":true`) {
							errs <- string(a.body)
						}
					}
				})
			}
			wg.Wait()
			close(errs)
			for msg := range errs {
				t.Fatalf("call within the budget refused: %s", msg)
			}
			e.fails(http.MethodGet, "/contact/setting", nil, meihuatest.CodeRateLimited)
		})
	}
}

func TestParametersFromQueryOrForm(t *testing.T) {
	t.Parallel()
	e := newEnv(t, meihuatest.Config{})
	tok := vals("token", e.token)
	withTok := func(kv ...string) url.Values {
		q := vals(kv...)
		q.Set("token", e.token)
		return q
	}
	var g struct {
		GroupName string `json:"groupName"`
	}
	name := func(a answer) string {
		t.Helper()
		env := a.envelope(t)
		if !*env.Success {
			t.Fatalf("%s", a.body)
		}
		decode(t, env.Data, &g)
		return g.GroupName
	}
	if got := name(e.send(http.MethodPost, "/contact/group/add", withTok("name", "from query"), nil)); got != "from query" {
		t.Errorf("query: %q", got)
	}
	if got := name(e.send(http.MethodPost, "/contact/group/add", tok, vals("name", "from form"))); got != "from form" {
		t.Errorf("form: %q", got)
	}
	if got := name(e.send(http.MethodPost, "/contact/group/add", withTok("name", "query wins"), vals("name", "form loses"))); got != "query wins" {
		t.Errorf("both: %q", got)
	}
	// A JSON body is not parameters.
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, e.base+"/contact/group/add?token="+e.token, strings.NewReader(`{"name":"json"}`))
	req.Header.Set("Content-Type", "application/json")
	expectCode(t, e.roundTrip(req), meihuatest.CodeMissingParameter)
	// Nor is a form body sent without its content type, or on a GET.
	req, _ = http.NewRequestWithContext(t.Context(), http.MethodPost, e.base+"/contact/group/add?token="+e.token, strings.NewReader("name=untyped"))
	expectCode(t, e.roundTrip(req), meihuatest.CodeMissingParameter)
	req, _ = http.NewRequestWithContext(t.Context(), http.MethodGet, e.base+"/contact/all?token="+e.token, strings.NewReader("page=1&limit=1"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	expectCode(t, e.roundTrip(req), meihuatest.CodeMissingParameter)
	// A large contacts payload in the body, with a charset on the type.
	contacts := `[` + strings.Repeat(`{"fullName":"张三","email":"z@example.com"},`, 999) + `{"fullName":"李四"}]`
	req, _ = http.NewRequestWithContext(t.Context(), http.MethodPost, e.base+"/contact/add?token="+e.token,
		strings.NewReader(vals("contacts", contacts, "opType", "2").Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=UTF-8")
	if env := e.roundTrip(req).envelope(t); !*env.Success || len(e.sim.Contacts()) != 2 {
		t.Errorf("large form add: %s, %d contacts", env.Data, len(e.sim.Contacts()))
	}
	// Malformed form bodies are refused.
	req, _ = http.NewRequestWithContext(t.Context(), http.MethodPost, e.base+"/contact/group/add?token="+e.token, strings.NewReader("name=%zz"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	expectCode(t, e.roundTrip(req), meihuatest.CodeMissingParameter)
}

func TestDenyAPI(t *testing.T) {
	t.Parallel()
	e := newEnv(t, meihuatest.Config{})
	e.sim.DenyAPI("/contact/group/")
	e.fails(http.MethodPost, "/contact/group/add", vals("name", "g"), meihuatest.CodeNoPermission)
	e.fails(http.MethodGet, "/contact/group/all", vals("page", "1", "limit", "1"), meihuatest.CodeNoPermission)
	e.ok(http.MethodGet, "/contact/tag/all", vals("page", "1", "limit", "1"), nil)
	e.sim.DenyAPI("")
	e.fails(http.MethodGet, "/edm/tasks", vals("start", "0", "end", "1"), meihuatest.CodeNoPermission)
	e.sim.AllowAPI()
	e.ok(http.MethodPost, "/contact/group/add", vals("name", "g"), nil)
	if n := len(e.sim.Groups()); n != 1 {
		t.Errorf("%d groups: a refused call created one", n)
	}
}

func TestFailNext(t *testing.T) {
	t.Parallel()
	e := newEnv(t, meihuatest.Config{})
	e.sim.FailNext(meihuatest.CodeServerError)
	e.sim.FailNext(meihuatest.CodeNoPermission)
	e.fails(http.MethodPost, "/contact/group/add", vals("name", "g"), meihuatest.CodeServerError)
	e.fails(http.MethodPost, "/contact/group/add", vals("name", "g"), meihuatest.CodeNoPermission)
	if n := len(e.sim.Groups()); n != 0 {
		t.Errorf("%d groups: a failed call created one", n)
	}
	e.ok(http.MethodPost, "/contact/group/add", vals("name", "g"), nil)
}

// A vendor that stored the contacts but whose answer was lost: the
// adapter's retry finds them there (opType 3 leaves them be).
func TestAnswerLostAfterAdd(t *testing.T) {
	t.Parallel()
	e := newEnv(t, meihuatest.Config{})
	e.sim.InjectFault(meihuatest.Fault{PathPrefix: "/contact/add", AfterHandler: true, Drop: true})
	params := vals("contacts", `[{"fullName":"王伟","email":"wang@example.com"}]`, "opType", "3")
	query := url.Values{"token": {e.token}}
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, e.base+"/contact/add?"+query.Encode(), strings.NewReader(params.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: 5 * time.Second}
	res, err := client.Do(req)
	if err == nil {
		res.Body.Close()
		t.Fatalf("answer %d, want a dropped connection", res.StatusCode)
	}
	if !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, syscall.ECONNRESET) {
		t.Errorf("err = %v", err)
	}
	if n := len(e.sim.Contacts()); n != 1 {
		t.Fatalf("%d contacts: the add did not take effect", n)
	}
	e.ok(http.MethodPost, "/contact/add", params, nil)
	if n := len(e.sim.Contacts()); n != 1 {
		t.Errorf("%d contacts after the retry", n)
	}
	if e.sim.Calls("/contact/add") != 2 || e.sim.Calls("/contact/") != 2 || e.sim.Calls("") != 2 || e.sim.APICalls() != 2 {
		t.Errorf("Calls %d %d %d, APICalls %d", e.sim.Calls("/contact/add"), e.sim.Calls("/contact/"), e.sim.Calls(""), e.sim.APICalls())
	}
	if rs := e.sim.Requests(); len(rs) != 2 || rs[0].Path != "/contact/add" || rs[0].Query.Get("token") != e.token || !strings.Contains(string(rs[0].Body), "opType=3") {
		t.Errorf("requests %+v", rs)
	}
}

func TestFaultBeforeHandler(t *testing.T) {
	t.Parallel()
	e := newEnv(t, meihuatest.Config{})
	body := `{"success":false,"code":"E10001","msg":"服务器异常"}`
	e.sim.InjectFault(meihuatest.Fault{PathPrefix: "/contact/group/add", Status: 200, ContentType: "application/json;charset=UTF-8", Body: body})
	if a := e.call(http.MethodPost, "/contact/group/add", vals("name", "g")); string(a.body) != body {
		t.Errorf("%s", a.body)
	}
	if n := len(e.sim.Groups()); n != 0 || e.sim.APICalls() != 0 {
		t.Errorf("%d groups, %d API calls: a faulted call was handled", n, e.sim.APICalls())
	}
}

func TestMessages(t *testing.T) {
	t.Parallel()
	want := map[string]string{
		"E10001": "服务器异常", "E10101": "无效的Token", "E10102": "无权限访问API", "E10103": "参数缺失",
		"E00001": "当前版本为免费版,联系人总数量不能超过5000", "E00002": "您的金装版已过期,联系人总数量不能超过5000",
		"E00003": "您当前为金装版,联系人总数量不能超过100000", "E00004": "您的钻石版已过期,联系人总数量不能超过5000",
		"E00005": "每次提交导入联系人总数量不能超过1000条", "E10104": "API调用频繁,已超过每小时限额",
	}
	for code, msg := range want {
		if got := meihuatest.Message(code); got != msg {
			t.Errorf("Message(%s) = %q, want %q", code, got, msg)
		}
	}
	if meihuatest.Message("E99999") != "" {
		t.Error("an undocumented code has a message")
	}
}
