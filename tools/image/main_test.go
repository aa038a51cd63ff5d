package main

import (
	"archive/tar"
	"context"
	"encoding/json"
	"errors"
	"io"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// TestImage builds the image as `make image` does and reads it back as
// `docker load` (manifest.json) and as an OCI layout would: the
// configuration, the files of its layer, and the gateway in it, run.
// The cross-compile takes about 30 s on a cold build cache.
func TestImage(t *testing.T) {
	t.Parallel()
	tmp := t.TempDir()
	o := options{
		Version: "v1.2.0-3-g1a2b3c4", Commit: "1a2b3c4d5e6f", Date: "2026-11-29T14:00:00Z",
		Out: filepath.Join(tmp, "cdp-gateway-image.tar"), CACerts: filepath.Join(tmp, "ca.crt"), Module: "../..",
	}
	const bundle = "-----BEGIN CERTIFICATE-----\n(a test bundle)\n-----END CERTIFICATE-----\n"
	if err := os.WriteFile(o.CACerts, []byte(bundle), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := build(context.Background(), o); err != nil {
		t.Fatal(err)
	}

	img, err := tarball.ImageFromPath(o.Out, nil) // the docker save view
	if err != nil {
		t.Fatal(err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	c := cf.Config
	if !slices.Equal(c.Entrypoint, []string{"/gateway"}) || c.User != "65532:65532" || len(c.Env) != 0 || len(c.Cmd) != 0 {
		t.Fatalf("entrypoint %q, user %q, env %q, cmd %q", c.Entrypoint, c.User, c.Env, c.Cmd)
	}
	if ports := slices.Sorted(maps.Keys(c.ExposedPorts)); !slices.Equal(ports, []string{"8080/tcp", "9090/tcp"}) || cf.OS != "linux" || cf.Architecture != "amd64" {
		t.Fatalf("ports %v, platform %s/%s", c.ExposedPorts, cf.OS, cf.Architecture)
	}
	if c.Labels["org.opencontainers.image.version"] != o.Version || c.Labels["org.opencontainers.image.revision"] != o.Commit {
		t.Fatalf("labels %v", c.Labels)
	}

	// The same tarball, unpacked, is an OCI layout of the same image.
	dir := filepath.Join(tmp, "layout")
	f, err := os.Open(o.Out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	untar(t, f, dir)
	var manifest []struct{ RepoTags []string }
	b, err := os.ReadFile(filepath.Join(dir, "manifest.json"))
	if err := errors.Join(err, json.Unmarshal(b, &manifest)); err != nil || len(manifest) != 1 || !slices.Equal(manifest[0].RepoTags, []string{"cdp-gateway:v1.2.0-3-g1a2b3c4"}) {
		t.Fatalf("manifest.json %s (%v)", b, err)
	}
	index, err := layout.ImageIndexFromPath(dir)
	if err != nil {
		t.Fatal(err)
	}
	im, err := index.IndexManifest()
	if err != nil || len(im.Manifests) != 1 || im.Manifests[0].Annotations["org.opencontainers.image.ref.name"] != "v1.2.0-3-g1a2b3c4" {
		t.Fatalf("index.json %+v (%v)", im, err)
	}
	oci, err := index.Image(im.Manifests[0].Digest)
	if err != nil {
		t.Fatal(err)
	}
	ociConfig, _ := oci.ConfigName()
	dockerConfig, _ := img.ConfigName()
	if ociConfig != dockerConfig {
		t.Fatalf("the OCI layout's config %s is not manifest.json's %s", ociConfig, dockerConfig)
	}

	// The layer: the gateway, executable, and the CA bundle.
	root := filepath.Join(tmp, "root")
	layer := mutate.Extract(img)
	defer layer.Close()
	files := untar(t, layer, root)
	if h := files["gateway"]; h == nil || h.Mode&0o111 == 0 || h.Typeflag != tar.TypeReg {
		t.Fatalf("gateway in the layer: %+v", h)
	}
	if files["etc/passwd"] == nil {
		t.Fatalf("layer holds %v", files)
	}
	if b, err := os.ReadFile(filepath.Join(root, "etc/ssl/certs/ca-certificates.crt")); err != nil || string(b) != bundle {
		t.Fatalf("CA bundle %q (%v)", b, err)
	}

	if runtime.GOOS != "linux" || runtime.GOARCH != "amd64" {
		t.Skipf("the gateway in the image is linux/amd64; this is %s/%s", runtime.GOOS, runtime.GOARCH)
	}
	out, err := exec.Command(filepath.Join(root, "gateway"), "--version").CombinedOutput()
	if want := "cdp-gateway v1.2.0-3-g1a2b3c4 (commit 1a2b3c4d5e6f, built 2026-11-29T14:00:00Z)\n"; err != nil || string(out) != want {
		t.Fatalf("gateway --version: %v %q, want %q", err, out, want)
	}
}

// untar unpacks the tar r into dir, files with their modes, and returns
// its headers by name.
func untar(t *testing.T, r io.Reader, dir string) map[string]*tar.Header {
	t.Helper()
	headers := map[string]*tar.Header{}
	tr := tar.NewReader(r)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return headers
		}
		if err != nil {
			t.Fatal(err)
		}
		headers[h.Name] = h
		name := filepath.Join(dir, filepath.FromSlash(h.Name))
		if !strings.HasPrefix(name, dir+string(filepath.Separator)) {
			t.Fatalf("tar member %q leaves the directory", h.Name)
		}
		if h.Typeflag != tar.TypeReg {
			continue
		}
		if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(name, b, h.FileInfo().Mode().Perm()); err != nil {
			t.Fatal(err)
		}
	}
}
