package vendortest

import (
	"fmt"
	"math/rand/v2"
	"strings"
)

// Demo names every simulator's demo data draws from: Chinese and English,
// so that sorting, search and encoding are exercised with both.
var (
	demoSurnames = []string{"王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭"}
	demoGivens   = []string{"伟", "芳", "娜", "秀英", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明", "超", "霞", "平"}
	demoPinyin   = map[string]string{"王": "wang", "李": "li", "张": "zhang", "刘": "liu", "陈": "chen", "杨": "yang", "黄": "huang", "赵": "zhao", "吴": "wu", "周": "zhou", "徐": "xu", "孙": "sun", "马": "ma", "朱": "zhu", "胡": "hu", "郭": "guo"}
	demoFirsts   = []string{"Emma", "Liam", "Olivia", "Noah", "Ava", "Ethan", "Sophia", "Lucas", "Mia", "Mason", "Chloe", "Leo"}
	demoLasts    = []string{"Smith", "Johnson", "Brown", "Taylor", "Wilson", "Davies", "Evans", "Thomas", "Walker", "Wright"}
)

// DemoPerson draws the i-th demo person's name from r: two in three are
// Chinese. The email local part is unique by i ("wang.0007",
// "emma.smith7").
func DemoPerson(r *rand.Rand, i int) (name, emailLocal string, chinese bool) {
	if r.IntN(3) > 0 {
		sn, gn := demoSurnames[r.IntN(len(demoSurnames))], demoGivens[r.IntN(len(demoGivens))]
		return sn + gn, fmt.Sprintf("%s.%04d", demoPinyin[sn], i+1), true
	}
	f, l := demoFirsts[r.IntN(len(demoFirsts))], demoLasts[r.IntN(len(demoLasts))]
	return f + " " + l, fmt.Sprintf("%s.%s%d", strings.ToLower(f), strings.ToLower(l), i+1), false
}
