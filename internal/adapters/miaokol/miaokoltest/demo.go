package miaokoltest

import (
	"fmt"
	"math/rand/v2"
	"time"
)

// DemoOptions shape the demo data.
type DemoOptions struct {
	Contacts int
	Seed     uint64 // same seed (and same starting ids), same data
	// Now dates the groups and tags (ctime/utime), some weeks before it
	// (default the simulator's clock).
	Now time.Time
}

// Demo tag groups, Chinese and English, each with 3 to 8 tags, and how
// likely a contact is to carry one of the group's tags (one in share).
var demoGroups = []struct {
	name  string
	share int
	tags  []string
}{
	{"客户等级", 2, []string{"VIP", "高价值客户", "潜力客户", "普通客户", "流失预警"}},
	{"Interests", 3, []string{"Skincare", "Makeup", "数码", "Fitness", "Travel", "母婴"}},
	{"来源渠道", 2, []string{"朋友圈广告", "线下门店", "直播间", "公众号", "老客推荐", "Referral", "展会", "小程序"}},
	{"Lifecycle", 3, []string{"New", "Active", "Dormant"}},
	{"跟进状态", 4, []string{"待跟进", "已联系", "已报价", "已成交"}},
}

// The account's WeCom accounts (rel_wxid): most are numeric, as WeCom's
// are; one has letters, '-' and '_'.
var demoRelWxids = []string{"1688851873049028", "1688853792102766", "1688850045213390", "wxid_kf-shanghai_01"}

// Contact ids that exercise id encodings: a '~' (the gateway's separator
// of rel_wxid and contact_wxid) and a non-ASCII character.
const (
	demoTildeWxid    = "wm~Jx9Kq_7c-2"
	demoNonASCIIWxid = "wxid_张伟_88"
)

// SeedDemo fills a simulator with the sandbox's demo data: five tag
// groups with their tags and o.Contacts WeCom contacts spread over four
// WeCom accounts, most carrying some tags. Most contact_wxid are 16
// digits, a few are WeChat ids with letters, '-' and '_', one has a '~'
// and one a Chinese character; some customers were added by two accounts.
// The same seed on a fresh simulator gives the same data.
func SeedDemo(s *Server, o DemoOptions) {
	r := rand.New(rand.NewPCG(o.Seed, 0x6d69616f6b6f6c))
	now := o.Now
	if now.IsZero() {
		now = s.now()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var groupTags [][]int64
	for i, g := range demoGroups {
		at := now.Add(-time.Duration(40-i*3) * 24 * time.Hour)
		gid := s.addGroupLocked(g.name, at).id
		var ids []int64
		for j, name := range g.tags {
			// Added one by one, each on top: the first ends at the bottom.
			ids = append(ids, s.addTagLocked(gid, name, j+1, at.Add(time.Duration(j)*time.Minute)).id)
		}
		groupTags = append(groupTags, ids)
	}
	var added []contactKey
	var numeric []contactKey // those another account may have added too
	for i := 0; len(added) < o.Contacts; i++ {
		rel := demoRelWxids[r.IntN(len(demoRelWxids))]
		var contact string
		switch {
		case i == 1:
			contact = demoTildeWxid
		case i == 2:
			contact = demoNonASCIIWxid
		case i%12 == 5 && len(numeric) > 0:
			// A customer another of the account's WeCom accounts added too.
			prev := numeric[r.IntN(len(numeric))]
			contact = prev.contact
			for rel == prev.rel {
				rel = demoRelWxids[r.IntN(len(demoRelWxids))]
			}
		case i%9 == 4:
			contact = fmt.Sprintf("wxid_%c%c%c-%d_%02d", 'a'+r.IntN(26), 'a'+r.IntN(26), 'a'+r.IntN(26), r.IntN(1000), i%100)
		default:
			contact = fmt.Sprintf("7881%012d", r.Int64N(1_000_000_000_000))
		}
		key := contactKey{rel, contact}
		if _, taken := s.contacts[key]; taken {
			continue // drawn twice: draw again
		}
		if contact[0] == '7' {
			numeric = append(numeric, key)
		}
		var tags []int64
		for gi, g := range demoGroups {
			if r.IntN(g.share) == 0 {
				tags = append(tags, groupTags[gi][r.IntN(len(groupTags[gi]))])
			}
		}
		s.contacts[key] = normalize(tags)
		added = append(added, key)
	}
}
