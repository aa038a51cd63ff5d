package linkflowtest

import (
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/cdp-gateway/cdp-gateway/internal/vendortest"
)

// DemoOptions shape the demo data.
type DemoOptions struct {
	Contacts int
	Seed     uint64 // same seed, same data
	Now      time.Time
}

// Demo data: Chinese and English names, so sorting, search and encoding
// are exercised with both.
var (
	cities    = []struct{ country, state, city string }{{"中国", "上海", "上海"}, {"中国", "北京", "北京"}, {"中国", "广东", "广州"}, {"中国", "广东", "深圳"}, {"中国", "浙江", "杭州"}, {"中国", "江苏", "南京"}, {"中国", "四川", "成都"}, {"Singapore", "", "Singapore"}, {"United Kingdom", "England", "London"}}
	companies = []string{"源犀信息", "梅花信息", "Acme Trading", "华东商贸", "Northwind", "星耀科技", ""}
	titles    = []string{"经理", "Engineer", "市场总监", "Sales", "产品经理", ""}
	marital   = []string{"单身", "已婚", ""}
	levels    = []string{"金卡", "银卡", "普通", ""}
)

// SeedDemo fills a simulator with the sandbox's demo data: custom fields,
// contacts (each with a channel identity), groups with members, tag
// folders and tags, events and a few orders.
func SeedDemo(sim *Server, o DemoOptions) {
	r := rand.New(rand.NewPCG(o.Seed, 0x5eed))
	now := o.Now
	sim.AddProperty(Property{Label: "婚姻状态", Alias: "attr1", DataType: "text"})
	sim.AddProperty(Property{Label: "年收入", Alias: "attr2", DataType: "number"})
	sim.AddProperty(Property{Label: "会员等级", Alias: "attr3", DataType: "text"})

	ids := make([]int64, 0, o.Contacts)
	for i := 0; i < o.Contacts; i++ {
		c := Contact{}
		var local string
		c.Name, local, _ = vendortest.DemoPerson(r, i)
		c.Email = local + "@example.com"
		c.MobilePhone = fmt.Sprintf("13%d%08d", 5+r.IntN(5), r.IntN(100000000))
		c.Gender = []string{"male", "female", "unknown"}[r.IntN(3)]
		if r.IntN(2) == 0 {
			c.DateOfBirthday = fmt.Sprintf("%d-%02d-%02d 00:00:00", 1965+r.IntN(40), 1+r.IntN(12), 1+r.IntN(28))
		}
		loc := cities[r.IntN(len(cities))]
		c.Country, c.State, c.City = loc.country, loc.state, loc.city
		c.Company, c.Title = companies[r.IntN(len(companies))], titles[r.IntN(len(titles))]
		c.Props = map[string]any{}
		if m := marital[r.IntN(len(marital))]; m != "" {
			c.Props["attr1"] = m
		}
		if r.IntN(2) == 0 {
			c.Props["attr2"] = (5 + r.IntN(60)) * 10000
		}
		if l := levels[r.IntN(len(levels))]; l != "" {
			c.Props["attr3"] = l
		}
		c.DateCreated = now.Add(-time.Duration(90+r.IntN(640)) * 24 * time.Hour)
		c.LastUpdated = now.Add(-time.Duration(r.IntN(90*24)) * time.Hour)
		id := sim.AddContact(c)
		ids = append(ids, id)
		sim.AddIdentity(id, "demo.example.com", "UDC", fmt.Sprintf("cust-%04d", i+1))
		if r.IntN(4) == 0 {
			sim.AddWeChatIdentity(id, "wx5a39a02868a39999", "Demo 公众号", fmt.Sprintf("union-%04d", i+1), fmt.Sprintf("oDemo%06d", i+1))
		}
	}

	groups := []struct {
		name, typ string
		share     int // one member in share
	}{
		{"VIP客户", "static", 8}, {"新注册用户", "static", 5}, {"Newsletter subscribers", "static", 3},
		{"上海门店", "static", 9}, {"高意向线索", "static", 12}, {"Churn risk", "static", 15},
		{"双11活动", "static", 4}, {"Beta testers", "static", 20}, {"最近7天活跃客户", "dynamic", 6},
	}
	for _, g := range groups {
		gid := sim.AddGroupRecord(Group{Name: g.name, GroupType: g.typ,
			DateCreated: now.Add(-time.Duration(30+r.IntN(300)) * 24 * time.Hour), LastUpdated: now.Add(-time.Duration(r.IntN(30)) * 24 * time.Hour)})
		var members []int64
		for _, id := range ids {
			if r.IntN(g.share) == 0 {
				members = append(members, id)
			}
		}
		if len(members) > 0 {
			sim.AddGroupMembers(gid, members...)
		}
	}

	folders := []struct {
		name string
		tags []string
	}{
		{"客户分层", []string{"高价值客户", "潜力客户", "沉睡客户", "流失预警", "新客"}},
		{"兴趣偏好", []string{"美妆", "数码", "母婴", "运动户外", "图书", "家居"}},
		{"Lifecycle", []string{"Lead", "Prospect", "Customer", "Advocate", "Churned"}},
		{"RFM", []string{"重要价值客户", "重要发展客户", "重要保持客户", "一般挽留客户"}},
	}
	tagTypes := []string{"UPLOAD", "RULE_LAYER", "RFM", "SQL", "EVENT_INDICATOR"}
	for _, f := range folders {
		fid := sim.AddFolder(Folder{Name: f.name, Domain: "TAG"})
		for _, t := range f.tags {
			sim.AddTag(Tag{TagName: t, FolderID: fid, TagType: tagTypes[r.IntN(len(tagTypes))]})
		}
	}
	sim.AddFolder(Folder{Name: "营销报表", Domain: "REPORT"})

	eventCodes := []string{"WEBSITE__PAGE_VIEW", "UDE_ADD_TO_CART", "UDE_PURCHASE", "UDE_SIGN_IN", "SHORTURL__DWZ_REDIRECT"}
	for i, id := range ids {
		if i >= 60 {
			break
		}
		for n := 2 + r.IntN(6); n > 0; n-- {
			sim.AddEvent(Event{
				ContactID: id, ChannelID: "demo.example.com", ChannelName: "官网", ChannelType: "UDC",
				ExternalID: fmt.Sprintf("cust-%04d", i+1), Event: eventCodes[r.IntN(len(eventCodes))],
				EventDate: now.Add(-time.Duration(r.IntN(60*24*60)) * time.Minute),
				Attrs:     map[string]string{"attr1": fmt.Sprintf("SKU-%03d", r.IntN(500)), "attr2": fmt.Sprintf("%d.00", 10+r.IntN(990))},
				UTM:       &UTM{Source: "wechat", Campaign: "双11", Medium: "social"},
			})
		}
	}
	for i := 0; i < 12; i++ {
		sim.AddOrder(Order{
			ContactID: ids[r.IntN(len(ids))], OrderID: fmt.Sprintf("SO%06d", 1000+i), OrderStatus: "TRADE_SUCCESS",
			SaleChannel: "有赞", TotalPrice: float64(50 + r.IntN(2000)), PaymentPrice: float64(50 + r.IntN(2000)),
			OrderDate: now.Add(-time.Duration(r.IntN(30)) * 24 * time.Hour).Format("2006-01-02 15:04:05"),
		})
	}
}
