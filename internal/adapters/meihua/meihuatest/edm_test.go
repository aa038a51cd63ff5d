package meihuatest_test

import (
	"encoding/json"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/cdp-gateway/cdp-gateway/internal/adapters/meihua/meihuatest"
)

var edmRowFields = sorted("task_id", "subject", "thumbnail", "sendtime", "dmdtype", "email", "eventdate", "clickname",
	"clickurl", "ip", "country", "province", "city", "software", "clientOs", "mailing_id")

func ms(t time.Time) string { return strconv.FormatInt(t.UnixMilli(), 10) }

func TestEDM(t *testing.T) {
	t.Parallel()
	e := newEnv(t, meihuatest.Config{})
	day := time.Date(2016, 1, 11, 0, 0, 0, 0, time.UTC)
	at := func(h int) time.Time { return day.Add(time.Duration(h) * time.Hour) }
	ev := func(kind string, h int) meihuatest.EDMEvent {
		return meihuatest.EDMEvent{Type: kind, Email: "test@163.com", EventDate: at(h), IP: "183.69.234.48", Country: "中国",
			Province: "重庆", City: "重庆", Software: "Windows 7", ClientOS: "Google Chrome"}
	}
	older := e.sim.AddEDMTask(meihuatest.EDMTask{ID: 2956, Subject: "旧", CreateTime: day.Add(-72 * time.Hour).UnixMilli(),
		SendTime: day.Add(-48 * time.Hour).UnixMilli(), Status: 4})
	task := e.sim.AddEDMTask(meihuatest.EDMTask{ID: 3450, Subject: "邮件主题", Thumbnail: "http://img.example.com/a.png", MailingID: "24788",
		Status: 4, CreateTime: day.Add(-24 * time.Hour).UnixMilli(), SendTime: day.UnixMilli(), Events: []meihuatest.EDMEvent{
			ev("open", 1), ev("click", 2), ev("Unsubscribe", 3), ev("softbounce2x", 4), ev("softbounce final", 5),
			ev("hardbounce1x", 6), ev("spamcomplaint", 7), ev("open", 8),
		}})

	var tasks []map[string]any
	e.ok(http.MethodGet, "/edm/tasks", vals("start", ms(day.Add(-100*time.Hour)), "end", ms(day)), &tasks)
	if len(tasks) != 2 || tasks[0]["task_id"] != json.Number("3450") || tasks[1]["task_id"] != json.Number("2956") {
		t.Fatalf("tasks %v", tasks)
	}
	want := map[string]any{"task_id": json.Number("3450"), "createtime": json.Number(ms(day.Add(-24 * time.Hour))),
		"sendtime": json.Number(ms(day)), "subject": "邮件主题", "thumbnail": "http://img.example.com/a.png", "status": json.Number("4")}
	if !equalStrings(keysOf(tasks[0]), keysOf(want)) || tasks[0]["createtime"] != want["createtime"] || tasks[0]["status"] != want["status"] {
		t.Errorf("task %v, want %v", tasks[0], want)
	}
	e.ok(http.MethodGet, "/edm/tasks", vals("start", ms(day.Add(-48*time.Hour)), "end", ms(day.Add(-time.Millisecond))), &tasks)
	if len(tasks) != 1 || tasks[0]["task_id"] != json.Number(strconv.FormatInt(older, 10)) {
		t.Errorf("tasks in a window %v", tasks)
	}

	type detail struct {
		TotalCount int              `json:"total_count"`
		Detail     []map[string]any `json:"detail"`
	}
	get := func(kind string, from, to time.Time, page, limit string) detail {
		var d detail
		e.ok(http.MethodGet, "/edm/task/detail", vals("type", kind, "id", strconv.FormatInt(task, 10), "start", ms(from), "end", ms(to),
			"page", page, "limit", limit), &d)
		return d
	}
	all := get("0", day, at(24), "1", "3")
	if all.TotalCount != 8 || len(all.Detail) != 3 || all.Detail[0]["eventdate"] != "2016-01-11 16:00:00.0" || all.Detail[2]["dmdtype"] != "hardbounce1x" {
		t.Errorf("all %+v", all)
	}
	if got := keysOf(all.Detail[0]); !equalStrings(got, edmRowFields) {
		t.Errorf("row members %v", got)
	}
	if d := get("0", day, at(24), "3", "3"); d.TotalCount != 8 || len(d.Detail) != 2 {
		t.Errorf("page 3 %+v", d)
	}
	for kind, n := range map[string]int{"1": 2, "2": 1, "3": 1, "4": 2, "5": 1, "6": 1} {
		if d := get(kind, day, at(24), "1", "50"); d.TotalCount != n || len(d.Detail) != n {
			t.Errorf("type %s: %d events, want %d", kind, d.TotalCount, n)
		}
	}
	if d := get("1", at(1), at(7), "1", "50"); d.TotalCount != 1 {
		t.Errorf("window: %+v", d)
	}
	if data := e.ok(http.MethodGet, "/edm/task/detail", vals("type", "0", "id", "1", "start", "0", "end", "1", "page", "1", "limit", "1"), nil); string(data) != `{"total_count":0,"detail":[]}` {
		t.Errorf("unknown task: %s", data)
	}
	full := []string{"type", "0", "id", "3450", "start", "0", "end", "1", "page", "1", "limit", "1"}
	for i := 0; i < len(full); i += 2 {
		params := vals(full...)
		params.Del(full[i])
		e.fails(http.MethodGet, "/edm/task/detail", params, meihuatest.CodeMissingParameter)
	}
	for _, kind := range []string{"7", "-1", "open"} {
		params := vals(full...)
		params.Set("type", kind)
		e.fails(http.MethodGet, "/edm/task/detail", params, meihuatest.CodeMissingParameter)
	}
	e.fails(http.MethodGet, "/edm/tasks", vals("start", "0"), meihuatest.CodeMissingParameter)
	e.fails(http.MethodGet, "/edm/tasks", vals("start", "2016-01-01", "end", "1"), meihuatest.CodeMissingParameter)
}
