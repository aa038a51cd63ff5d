package meihuatest

import (
	"cmp"
	"slices"
	"strings"
)

type edmTaskItem struct {
	TaskID     int64  `json:"task_id"`
	CreateTime int64  `json:"createtime"`
	SendTime   int64  `json:"sendtime"`
	Subject    string `json:"subject"`
	Thumbnail  string `json:"thumbnail"`
	Status     int    `json:"status"`
}

// edmRow is one recipient action, in /edm/task/detail and in a contact's
// edmBehavior.
type edmRow struct {
	TaskID    int64  `json:"task_id"`
	Subject   string `json:"subject"`
	Thumbnail string `json:"thumbnail"`
	SendTime  int64  `json:"sendtime"`
	DmdType   string `json:"dmdtype"`
	Email     string `json:"email"`
	EventDate string `json:"eventdate"`
	ClickName string `json:"clickname"`
	ClickURL  string `json:"clickurl"`
	IP        string `json:"ip"`
	Country   string `json:"country"`
	Province  string `json:"province"`
	City      string `json:"city"`
	Software  string `json:"software"`
	ClientOS  string `json:"clientOs"`
	MailingID string `json:"mailing_id"`
}

type edmDetail struct {
	TotalCount int      `json:"total_count"`
	Detail     []edmRow `json:"detail"`
}

type contactEDM struct {
	IsEmailActive bool     `json:"isEmailActive"`
	EDMBehavior   []edmRow `json:"edmBehavior"`
}

// rowOf renders an event of t. eventdate is China Standard Time to the
// second, written like Java's Timestamp.toString.
func rowOf(t *EDMTask, e EDMEvent) edmRow {
	return edmRow{
		TaskID: t.ID, Subject: t.Subject, Thumbnail: t.Thumbnail, SendTime: t.SendTime, DmdType: e.Type,
		Email: e.Email, EventDate: e.EventDate.In(cst).Format("2006-01-02 15:04:05") + ".0",
		ClickName: e.ClickName, ClickURL: e.ClickURL, IP: e.IP, Country: e.Country, Province: e.Province,
		City: e.City, Software: e.Software, ClientOS: e.ClientOS, MailingID: t.MailingID,
	}
}

// eventKind is the /edm/task/detail type an event belongs to: 1 open,
// 2 click, 3 unsubscribe, 4 soft bounce, 5 hard bounce, 6 complaint.
func eventKind(dmdtype string) int {
	t := strings.ToLower(dmdtype)
	switch {
	case t == "open":
		return 1
	case t == "click":
		return 2
	case t == "unsubscribe":
		return 3
	case strings.HasPrefix(t, "softbounce"):
		return 4
	case strings.HasPrefix(t, "hardbounce"):
		return 5
	case t == "spamcomplaint":
		return 6
	}
	return 0
}

// listEDMTasks serves GET /edm/tasks: the tasks sent between start and
// end (epoch milliseconds, both included), latest send first.
func (s *Server) listEDMTasks(p params) (any, error) {
	start, end, err := timeRange(p)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var tasks []*EDMTask
	for _, t := range s.edmTasks {
		if t.SendTime >= start && t.SendTime <= end {
			tasks = append(tasks, t)
		}
	}
	slices.SortFunc(tasks, func(a, b *EDMTask) int {
		return cmp.Or(cmp.Compare(b.SendTime, a.SendTime), cmp.Compare(b.ID, a.ID))
	})
	out := []edmTaskItem{}
	for _, t := range tasks {
		out = append(out, edmTaskItem{TaskID: t.ID, CreateTime: t.CreateTime, SendTime: t.SendTime,
			Subject: t.Subject, Thumbnail: t.Thumbnail, Status: t.Status})
	}
	return out, nil
}

func timeRange(p params) (start, end int64, err error) {
	if start, err = p.requiredInt("start"); err != nil {
		return 0, 0, err
	}
	end, err = p.requiredInt("end")
	return start, end, err
}

// edmTaskDetail serves GET /edm/task/detail: a task's events of a type
// (0 all) that happened between start and end (epoch milliseconds, both
// included), latest first, in 1-based pages. An unknown task has none.
func (s *Server) edmTaskDetail(p params) (any, error) {
	kind, err := p.requiredInt("type")
	if err != nil {
		return nil, err
	}
	if kind < 0 || kind > 6 {
		return nil, invalid("type must be between 0 and 6, got %d", kind)
	}
	id, err := p.requiredInt("id")
	if err != nil {
		return nil, err
	}
	start, end, err := timeRange(p)
	if err != nil {
		return nil, err
	}
	page, limit, err := p.page(0)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var rows []edmRow
	if t, ok := s.edmTasks[id]; ok {
		for _, e := range latestFirst(t.Events) {
			ms := e.EventDate.UnixMilli()
			if ms >= start && ms <= end && (kind == 0 || int64(eventKind(e.Type)) == kind) {
				rows = append(rows, rowOf(t, e))
			}
		}
	}
	lo, hi := pageBounds(len(rows), page, limit)
	return edmDetail{TotalCount: len(rows), Detail: append([]edmRow{}, rows[lo:hi]...)}, nil
}

func latestFirst(events []EDMEvent) []EDMEvent {
	out := slices.Clone(events)
	slices.SortStableFunc(out, func(a, b EDMEvent) int { return b.EventDate.Compare(a.EventDate) })
	return out
}

// edmOf is a contact's campaign activity: every event with its email,
// latest first. Callers hold s.mu.
func (s *Server) edmOf(c *Contact) contactEDM {
	out := contactEDM{IsEmailActive: !isBlank(c.Email), EDMBehavior: []edmRow{}}
	key := emailKey(c.Email)
	if key == "" {
		return out
	}
	type hit struct {
		t *EDMTask
		e EDMEvent
	}
	var hits []hit
	for _, id := range sortedKeys(s.edmTasks) {
		t := s.edmTasks[id]
		for _, e := range t.Events {
			if emailKey(e.Email) == key {
				hits = append(hits, hit{t, e})
			}
		}
	}
	slices.SortStableFunc(hits, func(a, b hit) int { return b.e.EventDate.Compare(a.e.EventDate) })
	for _, h := range hits {
		out.EDMBehavior = append(out.EDMBehavior, rowOf(h.t, h.e))
	}
	return out
}
