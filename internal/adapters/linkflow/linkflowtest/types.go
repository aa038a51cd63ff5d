package linkflowtest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"
)

const (
	timeLayout = "2006-01-02 15:04:05"
	dateLayout = "2006-01-02"
)

// CST is China Standard Time (UTC+8), the zone of every zone-less
// "yyyy-MM-dd HH:mm:ss" timestamp the vendor sends.
var CST = time.FixedZone("CST", 8*60*60)

// FormatTime renders t the way the vendor does: "yyyy-MM-dd HH:mm:ss" in CST.
func FormatTime(t time.Time) string { return t.In(CST).Format(timeLayout) }

// ParseTime reads "yyyy-MM-dd HH:mm:ss" or "yyyy-MM-dd" as China Standard Time.
func ParseTime(s string) (time.Time, error) {
	if t, err := time.ParseInLocation(timeLayout, s, CST); err == nil {
		return t, nil
	}
	if t, err := time.ParseInLocation(dateLayout, s, CST); err == nil {
		return t, nil
	}
	return time.Time{}, fmt.Errorf("%q is neither yyyy-MM-dd HH:mm:ss nor yyyy-MM-dd", s)
}

// vtime is a vendor timestamp: "yyyy-MM-dd HH:mm:ss" in CST, null when zero.
// It also reads epoch milliseconds.
type vtime time.Time

func (t vtime) MarshalJSON() ([]byte, error) {
	if time.Time(t).IsZero() {
		return []byte("null"), nil
	}
	return json.Marshal(FormatTime(time.Time(t)))
}

func (t *vtime) UnmarshalJSON(b []byte) error {
	tt, err := decodeTime(b)
	*t = vtime(tt)
	return err
}

// mstime is a vendor epoch-milliseconds timestamp, null when zero. It also
// reads "yyyy-MM-dd HH:mm:ss".
type mstime time.Time

func (t mstime) MarshalJSON() ([]byte, error) {
	if time.Time(t).IsZero() {
		return []byte("null"), nil
	}
	return []byte(strconv.FormatInt(time.Time(t).UnixMilli(), 10)), nil
}

func (t *mstime) UnmarshalJSON(b []byte) error {
	tt, err := decodeTime(b)
	*t = mstime(tt)
	return err
}

func decodeTime(b []byte) (time.Time, error) {
	b = bytes.TrimSpace(b)
	if string(b) == "null" || len(b) == 0 {
		return time.Time{}, nil
	}
	if b[0] != '"' {
		ms, err := strconv.ParseInt(string(b), 10, 64)
		if err != nil {
			return time.Time{}, fmt.Errorf("timestamp %s is not epoch milliseconds", b)
		}
		return time.UnixMilli(ms), nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return time.Time{}, err
	}
	if s == "" {
		return time.Time{}, nil
	}
	return ParseTime(s)
}

// nullifyEmpty rewrites the top-level "" string values of a JSON object as
// null, which is how the vendor answers absent values, its members in key
// order (as encoding/json writes a map). b is what json.Marshal wrote
// (compact); anything else takes the slow way, decoding and encoding again.
func nullifyEmpty(b []byte) ([]byte, error) {
	if members, ok := topMembers(b); ok {
		out := make([]byte, 0, len(b)+16)
		out = append(out, '{')
		for i, m := range members {
			if i > 0 {
				out = append(out, ',')
			}
			out = append(out, b[m.key-1:m.value]...) // "key":
			if v := b[m.value:m.end]; string(v) == `""` {
				out = append(out, "null"...)
			} else {
				out = append(out, v...)
			}
		}
		return append(out, '}'), nil
	}
	return nullifyEmptySlow(b)
}

// objMember is where one member of a JSON object is: its key (without
// quotes) at [key, keyEnd), its value at [value, end).
type objMember struct{ key, keyEnd, value, end int }

// topMembers is the members of a compact JSON object in the order of
// their keys. ok is false unless b is such an object whose keys are plain
// (no escapes) and all distinct, so that sorting the raw keys sorts them
// as json.Marshal sorts a map's.
func topMembers(b []byte) (members []objMember, ok bool) {
	if len(b) < 2 || b[0] != '{' || b[len(b)-1] != '}' {
		return nil, false
	}
	if len(b) == 2 {
		return nil, true
	}
	members = make([]objMember, 0, 64)
	for i := 1; ; {
		if i >= len(b) || b[i] != '"' {
			return nil, false
		}
		n := bytes.IndexByte(b[i+1:], '"')
		if n < 0 || bytes.IndexByte(b[i+1:i+1+n], '\\') >= 0 {
			return nil, false
		}
		m := objMember{key: i + 1, keyEnd: i + 1 + n, value: i + n + 3}
		if m.value > len(b) || b[m.value-1] != ':' {
			return nil, false
		}
		vn := valueLen(b[m.value:])
		if vn == 0 {
			return nil, false
		}
		m.end = m.value + vn
		members = append(members, m)
		switch i = m.end; {
		case i == len(b)-1:
			key := func(m objMember) []byte { return b[m.key:m.keyEnd] }
			slices.SortFunc(members, func(x, y objMember) int { return bytes.Compare(key(x), key(y)) })
			for j := 1; j < len(members); j++ {
				if bytes.Equal(key(members[j-1]), key(members[j])) {
					return nil, false
				}
			}
			return members, true
		case i < len(b) && b[i] == ',':
			i++
		default:
			return nil, false
		}
	}
}

// valueLen is the length of the compact JSON value b starts with, 0 when
// it cannot tell.
func valueLen(b []byte) int {
	depth := 0
	for i := 0; i < len(b); i++ {
		switch b[i] {
		case '"':
			j := i + 1
			for j < len(b) && b[j] != '"' {
				if b[j] == '\\' {
					j++
				}
				j++
			}
			if j >= len(b) {
				return 0
			}
			i = j
		case '{', '[':
			depth++
			continue
		case '}', ']':
			if depth == 0 {
				return i // the end of the enclosing object
			}
			depth--
		case ',':
			if depth == 0 {
				return i
			}
			continue
		default:
			continue
		}
		if depth == 0 {
			return i + 1
		}
	}
	return 0
}

// nullifyEmptySlow is nullifyEmpty by decoding and encoding again.
func nullifyEmptySlow(b []byte) ([]byte, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, err
	}
	for k, v := range m {
		if string(v) == `""` {
			m[k] = json.RawMessage("null")
		}
	}
	return json.Marshal(m)
}

// UTM holds campaign parameters. Empty values are answered as null.
type UTM struct {
	Source   string `json:"source"`
	Campaign string `json:"campaign"`
	Medium   string `json:"medium"`
	Content  string `json:"content"`
	Term     string `json:"term"`
}

// IsZero reports whether every UTM value is empty.
func (u UTM) IsZero() bool { return u == UTM{} }

// MarshalJSON answers empty values as null.
func (u UTM) MarshalJSON() ([]byte, error) {
	type plain UTM
	b, err := json.Marshal(plain(u))
	if err != nil {
		return nil, err
	}
	return nullifyEmpty(b)
}

// Contact is a Linkflow contact. JSON encoding produces the vendor wire
// shape: timestamps as "yyyy-MM-dd HH:mm:ss" CST, empty strings as null,
// utm as null when empty, props as {} when empty. Zero LastSeen, LastTagged
// and Identified are answered as null, and so is a zero Ver (a record the
// vendor keeps no version for; see [Server.ForgetVersion]).
type Contact struct {
	ID             int64          `json:"id"`
	DateCreated    time.Time      `json:"dateCreated"`
	LastUpdated    time.Time      `json:"lastUpdated"`
	Ver            int64          `json:"ver"`
	AnonymousID    string         `json:"anonymousId"`
	Name           string         `json:"name"`
	Nickname       string         `json:"nickname"`
	Gender         string         `json:"gender"` // male, female or unknown (default)
	DateOfBirthday string         `json:"dateOfBirthday"`
	Avatar         string         `json:"avatar"`
	ProfilePhoto   string         `json:"profilePhoto"`
	MobilePhone    string         `json:"mobilePhone"`
	HomePhone      string         `json:"homePhone"`
	Email          string         `json:"email"`
	Country        string         `json:"country"`
	State          string         `json:"state"`
	Street         string         `json:"street"`
	City           string         `json:"city"`
	PostalCode     string         `json:"postalCode"`
	Comments       string         `json:"comments"`
	UserName       string         `json:"userName"`
	Title          string         `json:"title"`
	Website        string         `json:"website"`
	Company        string         `json:"company"`
	Industry       string         `json:"industry"`
	Department     string         `json:"department"`
	IDCard         string         `json:"idCard"`
	UTM            UTM            `json:"utm"`
	Props          map[string]any `json:"props"` // keys are custom-field aliases (attr1, attr2, ...)
	IsAnonymous    bool           `json:"isAnonymous"`
	LastSeen       time.Time      `json:"lastSeen"`
	LastTagged     time.Time      `json:"lastTagged"`
	Identified     time.Time      `json:"identified"`
}

// MarshalJSON produces the vendor wire shape.
func (c Contact) MarshalJSON() ([]byte, error) {
	type plain Contact
	var utm *UTM
	if !c.UTM.IsZero() {
		u := c.UTM
		utm = &u
	}
	props := c.Props
	if props == nil {
		props = map[string]any{}
	}
	// A contact without a version (Ver 0) answers "ver": null, as the
	// documented contacts_bulk and v2/contacts samples show.
	var ver *int64
	if c.Ver != 0 {
		ver = &c.Ver
	}
	b, err := json.Marshal(struct {
		plain
		Ver         *int64         `json:"ver"`
		DateCreated vtime          `json:"dateCreated"`
		LastUpdated vtime          `json:"lastUpdated"`
		LastSeen    vtime          `json:"lastSeen"`
		LastTagged  vtime          `json:"lastTagged"`
		Identified  vtime          `json:"identified"`
		UTM         *UTM           `json:"utm"`
		Props       map[string]any `json:"props"`
	}{plain(c), ver, vtime(c.DateCreated), vtime(c.LastUpdated), vtime(c.LastSeen), vtime(c.LastTagged), vtime(c.Identified), utm, props})
	if err != nil {
		return nil, err
	}
	return nullifyEmpty(b)
}

// UnmarshalJSON reads the vendor wire shape (timestamps as
// "yyyy-MM-dd HH:mm:ss" CST or epoch milliseconds).
func (c *Contact) UnmarshalJSON(b []byte) error {
	type plain Contact
	w := struct {
		*plain
		DateCreated vtime `json:"dateCreated"`
		LastUpdated vtime `json:"lastUpdated"`
		LastSeen    vtime `json:"lastSeen"`
		LastTagged  vtime `json:"lastTagged"`
		Identified  vtime `json:"identified"`
		UTM         *UTM  `json:"utm"`
	}{plain: (*plain)(c)}
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	c.DateCreated = time.Time(w.DateCreated)
	c.LastUpdated = time.Time(w.LastUpdated)
	c.LastSeen = time.Time(w.LastSeen)
	c.LastTagged = time.Time(w.LastTagged)
	c.Identified = time.Time(w.Identified)
	if w.UTM != nil {
		c.UTM = *w.UTM
	}
	return nil
}

func (c Contact) clone() Contact {
	if c.Props != nil {
		c.Props = maps.Clone(c.Props)
	}
	return c
}

// Property is custom-field metadata. Alias is the key used in contact props.
type Property struct {
	ID       int64  `json:"id"`
	Label    string `json:"label"`
	Alias    string `json:"alias"`    // attr1, attr2, ... (assigned when empty)
	DataType string `json:"dataType"` // text (default), number, integer, boolean, date, datetime, list
}

// Channel is a Linkflow channel (an app of a channel type).
type Channel struct {
	ID          int64     `json:"id"`
	DateCreated time.Time `json:"dateCreated"`
	LastUpdated time.Time `json:"lastUpdated"`
	ChannelID   string    `json:"channelId"`   // e.g. example.com, wx1f7fbd28ac009cd0, udc_15PycxODaN
	ChannelType string    `json:"channelType"` // e.g. UDC (default), WECHAT
	Name        string    `json:"name"`
	Status      string    `json:"status"` // ACTIVE (default)
}

// MarshalJSON produces the vendor wire shape.
func (ch Channel) MarshalJSON() ([]byte, error) {
	type plain Channel
	return json.Marshal(struct {
		plain
		DateCreated vtime `json:"dateCreated"`
		LastUpdated vtime `json:"lastUpdated"`
	}{plain(ch), vtime(ch.DateCreated), vtime(ch.LastUpdated)})
}

// Identity is a contact's account in a channel ("contact identity"). On the
// wire channelId is the numeric id of the channel record and channel carries
// the channel itself.
type Identity struct {
	ID          int64     `json:"id"`
	DateCreated time.Time `json:"dateCreated"`
	LastUpdated time.Time `json:"lastUpdated"`
	Ver         int64     `json:"ver"`
	ContactID   int64     `json:"contactId"`
	ChannelID   int64     `json:"channelId"`
	AnonymousID string    `json:"anonymousId,omitempty"` // for WECHAT: the openId
	Nickname    string    `json:"nickname,omitempty"`
	MobilePhone string    `json:"mobilePhone,omitempty"`
	IsActive    bool      `json:"isActive"`
	ExternalID  string    `json:"externalId"` // for WECHAT: the unionId (or openId)
	Channel     Channel   `json:"channel"`
}

// MarshalJSON produces the vendor wire shape.
func (id Identity) MarshalJSON() ([]byte, error) {
	type plain Identity
	return json.Marshal(struct {
		plain
		DateCreated vtime `json:"dateCreated"`
		LastUpdated vtime `json:"lastUpdated"`
	}{plain(id), vtime(id.DateCreated), vtime(id.LastUpdated)})
}

// Group is a contact group ("tag group").
type Group struct {
	ID          int64     `json:"id"`
	Name        string    `json:"name"`
	GroupType   string    `json:"groupType"` // static or dynamic
	Ext1        string    `json:"ext1,omitempty"`
	Ext2        string    `json:"ext2,omitempty"`
	DateCreated time.Time `json:"dateCreated"`
	LastUpdated time.Time `json:"lastUpdated"`
}

// MarshalJSON produces the vendor wire shape.
func (g Group) MarshalJSON() ([]byte, error) {
	type plain Group
	return json.Marshal(struct {
		plain
		DateCreated vtime `json:"dateCreated"`
		LastUpdated vtime `json:"lastUpdated"`
	}{plain(g), vtime(g.DateCreated), vtime(g.LastUpdated)})
}

// Folder is a tag folder. ParentID 0 means a root folder.
type Folder struct {
	ID          int64     `json:"id"`
	Name        string    `json:"name"`
	Domain      string    `json:"domain"` // TAG (default)
	ParentID    int64     `json:"parentId"`
	DateCreated time.Time `json:"dateCreated"`
	LastUpdated time.Time `json:"lastUpdated"`
}

// MarshalJSON produces the vendor wire shape.
func (f Folder) MarshalJSON() ([]byte, error) {
	type plain Folder
	return json.Marshal(struct {
		plain
		DateCreated vtime `json:"dateCreated"`
		LastUpdated vtime `json:"lastUpdated"`
	}{plain(f), vtime(f.DateCreated), vtime(f.LastUpdated)})
}

// UnmarshalJSON reads the vendor wire shape.
func (f *Folder) UnmarshalJSON(b []byte) error {
	type plain Folder
	w := struct {
		*plain
		DateCreated vtime `json:"dateCreated"`
		LastUpdated vtime `json:"lastUpdated"`
	}{plain: (*plain)(f)}
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	f.DateCreated, f.LastUpdated = time.Time(w.DateCreated), time.Time(w.LastUpdated)
	return nil
}

// Tag is tag metadata as answered by /v1/tags.
type Tag struct {
	TagID             int64     `json:"tagId"`
	TagKey            string    `json:"tagKey"` // tag_<id> when empty
	TagName           string    `json:"tagName"`
	DataType          string    `json:"dataType"` // text (default)
	TagType           string    `json:"tagType"`  // UPLOAD (default), RULE_LAYER, SQL, RFM, ...
	Status            string    `json:"status"`   // ACTIVE (default)
	FolderID          int64     `json:"folderId"`
	DateCreated       time.Time `json:"dateCreated"`
	LastUpdated       time.Time `json:"lastUpdated"`
	LastCalculateTime time.Time `json:"lastCalculateTime"`
}

// MarshalJSON produces the vendor wire shape.
func (t Tag) MarshalJSON() ([]byte, error) {
	type plain Tag
	return json.Marshal(struct {
		plain
		DateCreated       vtime `json:"dateCreated"`
		LastUpdated       vtime `json:"lastUpdated"`
		LastCalculateTime vtime `json:"lastCalculateTime"`
	}{plain(t), vtime(t.DateCreated), vtime(t.LastUpdated), vtime(t.LastCalculateTime)})
}

// UnmarshalJSON reads the vendor wire shape.
func (t *Tag) UnmarshalJSON(b []byte) error {
	type plain Tag
	w := struct {
		*plain
		DateCreated       vtime `json:"dateCreated"`
		LastUpdated       vtime `json:"lastUpdated"`
		LastCalculateTime vtime `json:"lastCalculateTime"`
	}{plain: (*plain)(t)}
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	t.DateCreated, t.LastUpdated, t.LastCalculateTime = time.Time(w.DateCreated), time.Time(w.LastUpdated), time.Time(w.LastCalculateTime)
	return nil
}

// Event is a contact event. On the wire eventDate is epoch milliseconds, the
// Attrs entries (attr1..attr20) are top-level fields and empty optional
// fields are left out.
type Event struct {
	ID                int64             `json:"id"`
	DateCreated       time.Time         `json:"dateCreated"`
	LastUpdated       time.Time         `json:"lastUpdated"`
	Ver               int64             `json:"ver"`
	ContactID         int64             `json:"contactId"`
	ContactIdentityID int64             `json:"contactIdentityId"`
	AnonymousID       string            `json:"anonymousId,omitempty"`
	EventDate         time.Time         `json:"eventDate"`
	ChannelID         string            `json:"channelId"` // the channel's string id, e.g. example.com
	ChannelName       string            `json:"channelName,omitempty"`
	ChannelType       string            `json:"channelType,omitempty"`
	ExternalID        string            `json:"externalId,omitempty"`
	Event             string            `json:"event"` // event code, e.g. UDE_1MG2I6HGJ
	SDKVersion        string            `json:"sdkVersion,omitempty"`
	SDKType           string            `json:"sdkType,omitempty"`
	OS                string            `json:"os,omitempty"`
	OSVersion         string            `json:"osVersion,omitempty"`
	Browser           string            `json:"browser,omitempty"`
	BrowserVersion    string            `json:"browserVersion,omitempty"`
	Country           string            `json:"country,omitempty"`
	Province          string            `json:"province,omitempty"`
	City              string            `json:"city,omitempty"`
	Manufacturer      string            `json:"manufacturer,omitempty"`
	DeviceModel       string            `json:"deviceModel,omitempty"`
	IP                string            `json:"ip,omitempty"`
	TriggerFlow       bool              `json:"triggerFlow"`
	ChannelAppID      int64             `json:"channelAppId,omitempty"`
	Attrs             map[string]string `json:"-"` // attr1..attr20
	UTM               *UTM              `json:"utm,omitempty"`
	Items             []EventItem       `json:"items,omitempty"`
}

// MarshalJSON produces the vendor wire shape.
func (e Event) MarshalJSON() ([]byte, error) {
	type plain Event
	b, err := json.Marshal(struct {
		plain
		DateCreated vtime  `json:"dateCreated"`
		LastUpdated vtime  `json:"lastUpdated"`
		EventDate   mstime `json:"eventDate"`
	}{plain(e), vtime(e.DateCreated), vtime(e.LastUpdated), mstime(e.EventDate)})
	if err != nil {
		return nil, err
	}
	return mergeAttrs(b, e.Attrs)
}

// UnmarshalJSON reads the vendor wire shape.
func (e *Event) UnmarshalJSON(b []byte) error {
	type plain Event
	w := struct {
		*plain
		DateCreated vtime  `json:"dateCreated"`
		LastUpdated vtime  `json:"lastUpdated"`
		EventDate   mstime `json:"eventDate"`
	}{plain: (*plain)(e)}
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	e.DateCreated, e.LastUpdated, e.EventDate = time.Time(w.DateCreated), time.Time(w.LastUpdated), time.Time(w.EventDate)
	attrs, err := readAttrs(b)
	if err != nil {
		return err
	}
	e.Attrs = attrs
	return nil
}

// EventItem is a sub-event of a custom event: an event code and attributes.
type EventItem struct {
	Event string
	Attrs map[string]string // attr1..attr20
}

// MarshalJSON answers {"event": ..., "attr1": ..., ...}.
func (it EventItem) MarshalJSON() ([]byte, error) {
	b, err := json.Marshal(struct {
		Event string `json:"event"`
	}{it.Event})
	if err != nil {
		return nil, err
	}
	return mergeAttrs(b, it.Attrs)
}

// UnmarshalJSON reads {"event": ..., "attr1": ..., ...}.
func (it *EventItem) UnmarshalJSON(b []byte) error {
	var w struct {
		Event string `json:"event"`
	}
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	attrs, err := readAttrs(b)
	if err != nil {
		return err
	}
	it.Event, it.Attrs = w.Event, attrs
	return nil
}

const maxAttr = 20

func isAttrKey(k string) bool {
	n, ok := strings.CutPrefix(k, "attr")
	if !ok {
		return false
	}
	i, err := strconv.Atoi(n)
	return err == nil && i >= 1 && i <= maxAttr && strconv.Itoa(i) == n
}

func mergeAttrs(b []byte, attrs map[string]string) ([]byte, error) {
	if len(attrs) == 0 {
		return b, nil
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, err
	}
	for k, v := range attrs {
		raw, err := json.Marshal(v)
		if err != nil {
			return nil, err
		}
		m[k] = raw
	}
	return json.Marshal(m)
}

func readAttrs(b []byte) (map[string]string, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, err
	}
	var attrs map[string]string
	for k, v := range m {
		if !isAttrKey(k) || string(v) == "null" {
			continue
		}
		var s string
		if err := json.Unmarshal(v, &s); err != nil {
			return nil, fmt.Errorf("%s must be a string", k)
		}
		if attrs == nil {
			attrs = map[string]string{}
		}
		attrs[k] = s
	}
	return attrs, nil
}

// Order is a sales order as answered by /open/orders. DateCreated and
// LastUpdated are timestamps (lastUpdated drives the startTime/endTime
// filter); the other dates are "yyyy-MM-dd HH:mm:ss" strings as the vendor
// sends them. Empty strings are answered as null.
type Order struct {
	ID               int64          `json:"id"`
	DateCreated      time.Time      `json:"dateCreated"`
	LastUpdated      time.Time      `json:"lastUpdated"`
	Ver              int64          `json:"ver"`
	Props            map[string]any `json:"props"`
	TenantID         int64          `json:"tenantId"`
	SaleChannel      string         `json:"saleChannel"`
	ChannelID        int64          `json:"channelId"`
	ContactID        int64          `json:"contactId"`
	OrderID          string         `json:"orderId"`
	OrderStatus      string         `json:"orderStatus"`
	OrderOuterStatus string         `json:"orderOuterStatus"`
	OrderSource      string         `json:"orderSource"`
	PayType          string         `json:"payType"`
	PayDate          string         `json:"payDate"`
	OrderDate        string         `json:"orderDate"`
	TotalPrice       float64        `json:"totalPrice"`
	PaymentPrice     float64        `json:"paymentPrice"`
	RefundPrice      float64        `json:"refundPrice"`
	SuccessDate      string         `json:"successDate"`
	CancelDate       string         `json:"cancelDate"`
	CancelType       string         `json:"cancelType"`
	StoreName        string         `json:"storeName"`
	StoreID          string         `json:"storeId"`
	PaymentID        string         `json:"paymentId"`
	ReceiverName     string         `json:"receiverName"`
	DeliveryProvince string         `json:"deliveryProvince"`
	DeliveryCity     string         `json:"deliveryCity"`
	DeliveryDistrict string         `json:"deliveryDistrict"`
	DeliveryAddress  string         `json:"deliveryAddress"`
	ReceiverMobile   string         `json:"receiverMobile"`
	TotalQuantity    int64          `json:"totalQuantity"`
	OrderType        string         `json:"orderType"`
	IsPresale        string         `json:"isPresale"`
	PresaleStatus    string         `json:"presaleStatus"`
	IsMemberOrder    string         `json:"isMemberOrder"`
	StoreCardUsed    float64        `json:"storeCardUsed"`
	DeliveryDate     string         `json:"deliveryDate"`
	GuideCode        string         `json:"guideCode"`
	Lines            []OrderLine    `json:"lines"`
}

// MarshalJSON produces the vendor wire shape.
func (o Order) MarshalJSON() ([]byte, error) {
	type plain Order
	props := o.Props
	if props == nil {
		props = map[string]any{}
	}
	lines := o.Lines
	if lines == nil {
		lines = []OrderLine{}
	}
	b, err := json.Marshal(struct {
		plain
		DateCreated vtime          `json:"dateCreated"`
		LastUpdated vtime          `json:"lastUpdated"`
		Props       map[string]any `json:"props"`
		Lines       []OrderLine    `json:"lines"`
	}{plain(o), vtime(o.DateCreated), vtime(o.LastUpdated), props, lines})
	if err != nil {
		return nil, err
	}
	return nullifyEmpty(b)
}

// OrderLine is one line of an [Order].
type OrderLine struct {
	ID               int64          `json:"id"`
	DateCreated      time.Time      `json:"dateCreated"`
	LastUpdated      time.Time      `json:"lastUpdated"`
	Ver              int64          `json:"ver"`
	Props            map[string]any `json:"props"`
	TenantID         int64          `json:"tenantId"`
	OrderID          string         `json:"orderId"`
	LineID           string         `json:"lineId"`
	SaleChannel      string         `json:"saleChannel"`
	ChannelID        int64          `json:"channelId"`
	ContactID        int64          `json:"contactId"`
	OrderDate        string         `json:"orderDate"`
	ItemTotalPrice   float64        `json:"itemTotalPrice"`
	ItemPaymentPrice float64        `json:"itemPaymentPrice"`
	Quantity         int64          `json:"quantity"`
	RefundQuantity   int64          `json:"refundQuantity"`
	RefundPrice      float64        `json:"refundPrice"`
	BrandName        string         `json:"brandName"`
	Category         string         `json:"category"`
	ProductName      string         `json:"productName"`
	ProductAlias     string         `json:"productAlias"`
	ItemID           string         `json:"itemId"`
	ItemNo           string         `json:"itemNo"`
	OuterItemNo      string         `json:"outerItemNo"`
	Price            float64        `json:"price"`
	SkuName          string         `json:"skuName"`
	SkuID            string         `json:"skuId"`
	SkuNo            string         `json:"skuNo"`
	IsPresent        string         `json:"isPresent"`
	RefundType       string         `json:"refundType"`
	RefundStatus     string         `json:"refundStatus"`
	LineStatus       string         `json:"lineStatus"`
	CategoryID       string         `json:"categoryId"`
	ItemMealID       string         `json:"itemMealId"`
	ItemMealName     string         `json:"itemMealName"`
	IsEstimate       string         `json:"isEstimate"`
}

// MarshalJSON produces the vendor wire shape.
func (l OrderLine) MarshalJSON() ([]byte, error) {
	type plain OrderLine
	props := l.Props
	if props == nil {
		props = map[string]any{}
	}
	b, err := json.Marshal(struct {
		plain
		DateCreated vtime          `json:"dateCreated"`
		LastUpdated vtime          `json:"lastUpdated"`
		Props       map[string]any `json:"props"`
	}{plain(l), vtime(l.DateCreated), vtime(l.LastUpdated), props})
	if err != nil {
		return nil, err
	}
	return nullifyEmpty(b)
}

func (o Order) clone() Order {
	o.Props = maps.Clone(o.Props)
	o.Lines = append([]OrderLine(nil), o.Lines...)
	for i := range o.Lines {
		o.Lines[i].Props = maps.Clone(o.Lines[i].Props)
	}
	return o
}

// unmarshalStamped decodes b into the plain form of a type whose dateCreated
// and lastUpdated are vendor timestamps, returning those two times.
func unmarshalStamped(b []byte, plain any) (created, updated time.Time, err error) {
	w := struct {
		DateCreated vtime `json:"dateCreated"`
		LastUpdated vtime `json:"lastUpdated"`
	}{}
	if err := json.Unmarshal(b, &w); err != nil {
		return time.Time{}, time.Time{}, err
	}
	// Decode the rest with the timestamps removed, so time.Time fields are
	// not asked to parse the vendor format.
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		return time.Time{}, time.Time{}, err
	}
	delete(m, "dateCreated")
	delete(m, "lastUpdated")
	rest, err := json.Marshal(m)
	if err != nil {
		return time.Time{}, time.Time{}, err
	}
	if err := json.Unmarshal(rest, plain); err != nil {
		return time.Time{}, time.Time{}, err
	}
	return time.Time(w.DateCreated), time.Time(w.LastUpdated), nil
}

// UnmarshalJSON reads the vendor wire shape.
func (ch *Channel) UnmarshalJSON(b []byte) error {
	type plain Channel
	var err error
	ch.DateCreated, ch.LastUpdated, err = unmarshalStamped(b, (*plain)(ch))
	return err
}

// UnmarshalJSON reads the vendor wire shape.
func (id *Identity) UnmarshalJSON(b []byte) error {
	type plain Identity
	var err error
	id.DateCreated, id.LastUpdated, err = unmarshalStamped(b, (*plain)(id))
	return err
}

// UnmarshalJSON reads the vendor wire shape.
func (g *Group) UnmarshalJSON(b []byte) error {
	type plain Group
	var err error
	g.DateCreated, g.LastUpdated, err = unmarshalStamped(b, (*plain)(g))
	return err
}

// UnmarshalJSON reads the vendor wire shape.
func (o *Order) UnmarshalJSON(b []byte) error {
	type plain Order
	var err error
	o.DateCreated, o.LastUpdated, err = unmarshalStamped(b, (*plain)(o))
	return err
}

// UnmarshalJSON reads the vendor wire shape.
func (l *OrderLine) UnmarshalJSON(b []byte) error {
	type plain OrderLine
	var err error
	l.DateCreated, l.LastUpdated, err = unmarshalStamped(b, (*plain)(l))
	return err
}
