package nxcloudtest

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/cdp-gateway/cdp-gateway/internal/vendortest"
)

// DemoOptions shape the demo data.
type DemoOptions struct {
	Customers int
	Seed      uint64 // same seed (and same starting ids), same data
	Now       time.Time
}

// The demo custom fields.
const (
	DemoFieldMemberNo  = "customize_1_101" // text
	DemoFieldPoints    = "customize_2_102" // number
	DemoFieldFirstBuy  = "customize_3_103" // date
	DemoFieldInterests = "customize_4_104" // multi_select
)

var (
	demoCountries = []struct {
		code, prefix, zone string
		digits             int
	}{
		{"CN", "861", "Asia/Shanghai", 10}, {"CN", "861", "Asia/Shanghai", 10}, {"CN", "861", "Asia/Shanghai", 10},
		{"SG", "659", "Asia/Singapore", 7}, {"HK", "8526", "Asia/Hong_Kong", 7}, {"MY", "601", "Asia/Kuala_Lumpur", 8},
		{"ID", "628", "Asia/Jakarta", 10}, {"PH", "639", "Asia/Manila", 9},
	}
	demoTags = []struct {
		name    string
		groupID int64
		group   string
	}{
		{"VIP", 311, "客户价值"}, {"高意向", 311, "客户价值"}, {"复购客户", 311, "客户价值"},
		{"新客", 0, ""}, {"Newsletter", 0, ""}, {"沉睡客户", 0, ""}, {"展会线索", 312, "来源"}, {"WhatsApp活跃", 312, "来源"},
	}
	demoInterests = []string{"美妆", "数码", "母婴", "Travel", "运动"}
	demoRemarks   = []string{"", "", "", "老客户推荐", "Prefers English", "周末联系", "投诉过物流"}
	demoChannels  = []string{"18506008399", "6590001122", "whatsapp-sg-01", "sms-cn-main", ""}
	demoSources   = []int{SourceCustomer, SourceCustomer, SourceAPI, SourceExcelImport, SourceManual, SourceSMSCampaign,
		SourceForm, SourceViber, SourceMessenger, SourceInstagram, SourceLine, SourceEmail}
)

// SeedDemo fills a simulator with the sandbox's demo data: four custom
// fields (customize_N_M: text, number, date, multi_select), eight tags
// (some in tag groups) and o.Customers customers with Chinese and English
// names, WhatsApp and SMS phones with country codes, some Viber, email,
// Line, Messenger and Instagram, values for the custom fields, tags and a
// few lost tags. Customer ids continue the simulator's sequence far above
// 2^53 with snowflake-like gaps, and one pair in three is consecutive, so
// an id read as a float64 merges with its neighbour; created_at grows with
// the id, over the two years before o.Now (default the simulator's clock).
func SeedDemo(s *Server, o DemoOptions) {
	r := rand.New(rand.NewPCG(o.Seed, 0x6e78636c6f7564))
	now := o.Now
	if now.IsZero() {
		now = s.now()
	}
	s.AddField(Field{Name: DemoFieldMemberNo, Label: "会员编号", Type: FieldText})
	s.AddField(Field{Name: DemoFieldPoints, Label: "积分", Type: FieldNumber})
	s.AddField(Field{Name: DemoFieldFirstBuy, Label: "首次购买日期", Type: FieldDate})
	s.AddField(Field{Name: DemoFieldInterests, Label: "兴趣偏好", Type: FieldMultiSelect, Options: demoInterests})
	tags := make([]int64, len(demoTags))
	for i, t := range demoTags {
		tags[i] = s.AddTagInGroup(t.name, t.groupID, t.group)
	}

	s.mu.Lock()
	id := s.lastID
	s.mu.Unlock()
	span := 730 * 24 * time.Hour
	for i := range o.Customers {
		if i == 0 || r.IntN(3) == 0 {
			id++
		} else {
			id += 2 + int64(r.IntN(1<<22)) // a few milliseconds of a snowflake
		}
		created := now.Add(-span + time.Duration(int64(span)/int64(o.Customers+1)*int64(i+1)))
		c := demoCustomer(r, i, tags)
		c.ID = id
		c.CreatedAt = created
		c.UpdatedAt = created.Add(time.Duration(r.Int64N(int64(now.Sub(created)) + 1)))
		s.AddCustomer(c)
	}
}

// demoCustomer draws the i-th demo customer but for its id and times.
func demoCustomer(r *rand.Rand, i int, tags []int64) Customer {
	name, local, chinese := vendortest.DemoPerson(r, i)
	place := demoCountries[r.IntN(len(demoCountries))]
	c := Customer{FullName: name, Country: place.code, TimeZone: place.zone, Status: 1, Weight: int64(r.IntN(6))}
	if chinese {
		rs := []rune(name)
		c.LastName, c.FirstName = string(rs[0]), string(rs[1:])
	} else {
		c.FirstName, c.LastName, _ = strings.Cut(name, " ")
	}
	phone := place.prefix + fmt.Sprintf("%0*d", place.digits, r.Int64N(pow10(place.digits)))
	c.WhatsAppPhone = phone
	if r.IntN(4) > 0 {
		c.SMSPhone = phone
	}
	if r.IntN(5) == 0 {
		c.ViberPhone = phone
	}
	if r.IntN(2) == 0 {
		c.Email = local + "@example.com"
	}
	switch r.IntN(8) {
	case 0:
		c.Line = "line_" + local
	case 1:
		c.Messenger = "fb." + local
	case 2:
		c.Instagram = "@" + strings.ReplaceAll(local, ".", "_")
	}
	if g := r.IntN(3); g < 2 {
		c.Gender = ptr(g)
	}
	if r.IntN(2) == 0 {
		c.Birthday = fmt.Sprintf("%04d-%02d-%02d", 1965+r.IntN(40), 1+r.IntN(12), 1+r.IntN(28))
	}
	if r.IntN(3) == 0 {
		c.Address = fmt.Sprintf("%d号 Demo Road", 1+r.IntN(999))
	}
	c.Remark = demoRemarks[r.IntN(len(demoRemarks))]
	c.SourceType = demoSources[r.IntN(len(demoSources))]
	c.SourceChannelKey = demoChannels[r.IntN(len(demoChannels))]
	if r.IntN(10) == 0 {
		c.Status = 0
	}
	c.WhatsAppSubscribe = []string{"1", "1", "1", "0", ""}[r.IntN(5)]
	if c.SMSPhone != "" {
		c.SMSSubscribe = []string{"1", "1", "0"}[r.IntN(3)]
	}
	c.Custom = map[string]any{DemoFieldMemberNo: fmt.Sprintf("M%06d", 100000+i)}
	if r.IntN(3) > 0 {
		c.Custom[DemoFieldPoints] = r.IntN(5000)
	}
	if r.IntN(3) == 0 {
		c.Custom[DemoFieldFirstBuy] = fmt.Sprintf("20%02d-%02d-%02d", 20+r.IntN(5), 1+r.IntN(12), 1+r.IntN(28))
	}
	if n := r.IntN(3); n > 0 {
		picked := map[string]bool{}
		var list []string
		for range n {
			if v := demoInterests[r.IntN(len(demoInterests))]; !picked[v] {
				picked[v] = true
				list = append(list, v)
			}
		}
		c.Custom[DemoFieldInterests] = list
	}
	for _, t := range tags {
		switch r.IntN(8) {
		case 0, 1:
			c.TagIDs = append(c.TagIDs, t)
		case 2:
			c.HisTagIDs = append(c.HisTagIDs, t)
		}
	}
	return c
}

func pow10(n int) int64 {
	p := int64(1)
	for range n {
		p *= 10
	}
	return p
}
