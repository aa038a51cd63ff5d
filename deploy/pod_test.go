package deploy

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/cdp-gateway/cdp-gateway/internal/app"
	"github.com/cdp-gateway/cdp-gateway/internal/config"
)

// TestProductionConfigLoadsInThePod lays out the production pod's files
// under a temp dir as Kubernetes would (the ConfigMap and each Secret of
// testdata/secrets.yaml at their mount paths, the Deployment's environment)
// and loads the tenants file with the gateway's own loader: every {file: …}
// and {env: …} reference must resolve to a mounted key or a variable the
// pod has.
func TestProductionConfigLoadsInThePod(t *testing.T) {
	ms := render(t, "-f", productionFile)
	d, c := ms.deployment(t)
	secrets := fakeSecrets(t)
	root := t.TempDir()

	var tenantsFile string
	for _, cm := range ms.ofKind("ConfigMap") {
		if cm.Name == "gw-cdp-gateway" {
			var data struct{ Data map[string]string }
			cm.into(t, &data)
			tenantsFile = data.Data["tenants.yaml"]
		}
	}
	mounts := map[string]string{} // volume -> mount path
	for _, m := range c.VolumeMounts {
		mounts[m.Name] = m.MountPath
	}
	for _, v := range d.Spec.Template.Spec.Volumes {
		dir := filepath.Join(root, mounts[v.Name])
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		files := map[string]string{}
		switch {
		case v.ConfigMap != nil:
			files["tenants.yaml"] = tenantsFile
		case v.Secret != nil:
			s, ok := secrets[v.Secret.SecretName]
			if !ok {
				t.Fatalf("volume %s: Secret %s is not in testdata/secrets.yaml", v.Name, v.Secret.SecretName)
			}
			files = s
		}
		for k, data := range files {
			if err := os.WriteFile(filepath.Join(dir, k), []byte(data), 0o600); err != nil {
				t.Fatal(err)
			}
		}
	}
	env := map[string]string{}
	for _, e := range c.Env {
		switch {
		case e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil:
			ref := e.ValueFrom.SecretKeyRef
			v, ok := secrets[ref.Name][ref.Key]
			if !ok {
				t.Fatalf("env %s: Secret %s has no key %s in testdata/secrets.yaml", e.Name, ref.Name, ref.Key)
			}
			env[e.Name] = v
		default:
			env[e.Name] = e.Value
		}
	}

	var configPath string
	for _, a := range c.Args {
		if p, ok := strings.CutPrefix(a, "--config="); ok {
			configPath = p
		}
	}
	data, err := os.ReadFile(filepath.Join(root, configPath))
	if err != nil {
		t.Fatalf("--config=%s is not in a mounted volume: %v", configPath, err)
	}
	data = underRoot(t, data, root)
	drivers, err := app.Drivers()
	if err != nil {
		t.Fatal(err)
	}
	var opts []config.Option
	if _, ok := env["REDIS_URL"]; ok {
		opts = append(opts, config.WithRedis())
	}
	lookup := func(name string) (string, bool) { v, ok := env[name]; return v, ok }
	if _, err := config.Parse(data, lookup, drivers, opts...); err != nil {
		t.Errorf("the pod's tenants file does not load:\n%v", err)
	}
}

// underRoot moves every {file: PATH} reference of a tenants file under
// root, where the test laid out the pod's file system.
func underRoot(t *testing.T, data []byte, root string) []byte {
	t.Helper()
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	var walk func(n *yaml.Node)
	walk = func(n *yaml.Node) {
		if n.Kind == yaml.MappingNode {
			for i := 0; i+1 < len(n.Content); i += 2 {
				if k, v := n.Content[i], n.Content[i+1]; k.Value == "file" && v.Kind == yaml.ScalarNode {
					v.Value = filepath.Join(root, v.Value)
				}
			}
		}
		for _, c := range n.Content {
			walk(c)
		}
	}
	walk(&doc)
	out, err := yaml.Marshal(&doc)
	if err != nil {
		t.Fatal(err)
	}
	return out
}
