package meihuatest

import (
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/cdp-gateway/cdp-gateway/internal/vendortest"
)

// DemoOptions shape the demo data.
type DemoOptions struct {
	Contacts int
	Seed     uint64 // same seed (and same starting ids), same data
	Now      time.Time
}

// Demo data: Chinese and English names, so sorting, search and encoding
// are exercised with both.
var (
	demoPlaces = []struct{ province, city string }{
		{"上海", "上海"}, {"北京", "北京"}, {"广东", "广州"}, {"广东", "深圳"}, {"浙江", "杭州"},
		{"江苏", "南京"}, {"四川", "成都"}, {"湖北", "武汉"}, {" ", " "},
	}
	demoCompanies = []string{"梅花信息", "源犀信息", "Acme Trading", "华东商贸", "Northwind", "星耀科技", " "}
	demoTitles    = []string{"经理", "Engineer", "市场总监", "Sales", "产品经理", "开发", " "}
	demoLevels    = []string{"金卡", "银卡", "普通会员"}
	demoChannels  = []string{"官网", "微信公众号", "线下活动", "展会"}
	demoHobbies   = []string{"跑步", "摄影", "烘焙", "Reading", "旅行"}
	demoGroups    = []struct {
		name  string
		share int // one member in share
	}{
		{"VIP客户", 8}, {"新注册用户", 5}, {"Newsletter subscribers", 3}, {"上海门店", 9},
		{"高意向线索", 12}, {"Churn risk", 15}, {"双11活动", 4}, {"Beta testers", 20},
	}
	demoTags = []string{"高价值客户", "潜力客户", "沉睡客户", "新客", "美妆", "数码", "母婴", "Lead", "Customer", "Advocate"}
)

// SeedDemo fills a simulator with the sandbox's demo data: custom
// properties (text and dropdown), o.Contacts contacts with values for them,
// groups with members, tags on contacts and a few EDM campaigns with
// recipient activity. Some text fields hold the vendor's blank " ".
func SeedDemo(s *Server, o DemoOptions) {
	r := rand.New(rand.NewPCG(o.Seed, 0x6d656968))
	now := o.Now
	if now.IsZero() {
		now = s.now()
	}
	ms := func(ago time.Duration) int64 { return now.Add(-ago).UnixMilli() }
	level := s.AddProperty("会员等级", propertyDropdown, "会员卡等级", demoLevels...)
	channel := s.AddProperty("注册渠道", propertyDropdown, "首次注册的渠道", demoChannels...)
	number := s.AddProperty("客户编号", propertyText, "CRM 中的客户编号")
	hobby := s.AddProperty("兴趣爱好", propertyText, "客户自述的兴趣")

	ids := make([]int64, 0, o.Contacts)
	emails := make([]string, 0, o.Contacts)
	for i := range o.Contacts {
		c := Contact{Website: " ", Fax: " ", QQ: " ", Weibo: " ", Notes: " ", Address: " ", PostCode: " "}
		name, local, chinese := vendortest.DemoPerson(r, i)
		c.FullName, c.Country = name, " "
		if chinese {
			c.Country = "中国"
		}
		c.Email = local + "@example.com"
		c.MobilePhone = fmt.Sprintf("13%d%08d", 5+r.IntN(5), r.IntN(100000000))
		c.WorkPhone = " "
		if r.IntN(4) == 0 {
			c.WorkPhone = fmt.Sprintf("021-%08d", r.IntN(100000000))
		}
		if g := r.IntN(3); g < 2 {
			c.Gender = ptr(g == 0)
		}
		if r.IntN(2) == 0 {
			c.Birthday = time.Date(1965+r.IntN(40), time.Month(1+r.IntN(12)), 1+r.IntN(28), 0, 0, 0, 0, cst).UnixMilli()
		}
		place := demoPlaces[r.IntN(len(demoPlaces))]
		c.ProvinceZh, c.CityZh = place.province, place.city
		c.CompanyName, c.JobTitle = demoCompanies[r.IntN(len(demoCompanies))], demoTitles[r.IntN(len(demoTitles))]
		if r.IntN(5) == 0 {
			c.Weixin = "wx_" + local
		} else {
			c.Weixin = " "
		}
		c.Properties = map[int64]string{number: fmt.Sprintf("C%06d", 100000+i)}
		if r.IntN(4) > 0 {
			c.Properties[level] = demoLevels[r.IntN(len(demoLevels))]
		}
		if r.IntN(2) == 0 {
			c.Properties[channel] = demoChannels[r.IntN(len(demoChannels))]
		}
		if r.IntN(3) == 0 {
			c.Properties[hobby] = demoHobbies[r.IntN(len(demoHobbies))]
		}
		c.Source = []string{sourceAPI, "Excel导入"}[r.IntN(2)]
		c.CreateTime = ms(time.Duration(90+r.IntN(640)) * 24 * time.Hour)
		c.UpdateTime = max(c.CreateTime, ms(time.Duration(r.IntN(90*24))*time.Hour))
		ids = append(ids, s.AddContact(c))
		emails = append(emails, c.Email)
	}

	for _, g := range demoGroups {
		gid := s.AddGroup(g.name)
		for _, id := range ids {
			if r.IntN(g.share) == 0 {
				s.AddToGroup(gid, id)
			}
		}
	}
	for _, name := range demoTags {
		tid := s.AddTag(name)
		for _, id := range ids {
			if r.IntN(10) == 0 {
				s.TagContact(tid, id)
			}
		}
	}
	seedDemoCampaigns(s, r, now, emails)
}

// seedDemoCampaigns adds three sent campaigns with opens, clicks and
// bounces from the demo contacts.
func seedDemoCampaigns(s *Server, r *rand.Rand, now time.Time, emails []string) {
	subjects := []string{"双11会员专享优惠", "New arrivals this week", "梅花会员月刊"}
	kinds := []string{"open", "open", "open", "click", "unsubscribe", "softbounce1x", "hardbounce final", "spamcomplaint"}
	places := []struct{ province, city, ip string }{{"上海", "上海", "203.156.203.10"}, {"北京", "北京", "114.64.232.182"}, {"重庆", "重庆", "183.69.234.48"}}
	for i, subject := range subjects {
		sent := now.Add(-time.Duration(7*(len(subjects)-i)) * 24 * time.Hour)
		t := EDMTask{
			Subject: subject, Thumbnail: fmt.Sprintf("https://img.example.com/edm/%d.png", i+1),
			MailingID: fmt.Sprint(24780 + i), Status: 4,
			CreateTime: sent.Add(-26 * time.Hour).UnixMilli(), SendTime: sent.UnixMilli(),
		}
		for _, email := range emails {
			if r.IntN(3) != 0 {
				continue
			}
			p := places[r.IntN(len(places))]
			e := EDMEvent{Type: kinds[r.IntN(len(kinds))], Email: email,
				EventDate: sent.Add(time.Duration(r.IntN(72*60)) * time.Minute), IP: p.ip, Country: "中国",
				Province: p.province, City: p.city, Software: "Windows 10", ClientOS: "Google Chrome"}
			if e.Type == "click" {
				e.ClickName, e.ClickURL = "立即查看", "https://shop.example.com/promo"
			}
			t.Events = append(t.Events, e)
		}
		s.AddEDMTask(t)
	}
}
