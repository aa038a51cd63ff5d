package app_test

import (
	"os"
	"strings"
	"testing"

	"github.com/cdp-gateway/cdp-gateway/internal/adapters/linkflow"
	"github.com/cdp-gateway/cdp-gateway/internal/domain"
)

// TestReadmeCapabilityMatrix keeps README's matrix equal to what the
// adapters implement.
func TestReadmeCapabilityMatrix(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(readme), "<!-- capabilities:start -->\n")
	table, _, ok2 := strings.Cut(rest, "<!-- capabilities:end -->")
	if !ok || !ok2 {
		t.Fatal("README has no capability matrix markers")
	}
	lf, err := linkflow.New(linkflow.Config{AppKey: "k", AppSecret: "s"})
	if err != nil {
		t.Fatal(err)
	}
	conns := []domain.Connection{lf, domain.NewBareConnection(domain.Meihua), domain.NewBareConnection(domain.NXCloud), domain.NewBareConnection(domain.Miaokol)}
	var want strings.Builder
	want.WriteString("| operation | Linkflow | Meihua | NXCloud | Miaokol |\n|---|---|---|---|---|\n")
	for _, op := range domain.Operations() {
		want.WriteString("| " + string(op) + " |")
		for _, c := range conns {
			mark := "–"
			if domain.CapabilitiesOf(c).Operations[op] {
				mark = "✓"
			}
			want.WriteString(" " + mark + " |")
		}
		want.WriteString("\n")
	}
	if table != want.String() {
		t.Fatalf("README capability matrix is out of date; it should read:\n%s", want.String())
	}
}
