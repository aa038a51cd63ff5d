// Command image builds the gateway's container image without a Docker
// daemon and without a registry (`make image`):
//
//	go run ./tools/image -version v1.2.0 -commit <sha> -date <RFC 3339> -o bin/cdp-gateway-image.tar
//
// It cross-compiles a static linux/amd64 gateway (CGO_ENABLED=0, the
// version set with -ldflags -X as the Makefile and the Dockerfile do), puts
// it with the build machine's CA bundle into one layer on an empty
// (scratch) base, and writes the image as one tarball that is both an OCI
// image layout and a `docker save` archive (manifest.json), as `docker
// save` writes since Docker 25: `docker load`, `podman load` and `crane
// push` all read it.
//
// The image: /gateway (the entrypoint, mode 0755), /etc/ssl/certs/
// ca-certificates.crt (vendors are reached over HTTPS and scratch has no
// CA bundle; Go reads this path), and /etc/passwd and /etc/group naming
// the user it runs as, nonroot (65532:65532). Nothing else: no shell, no
// package manager; the gateway writes no file, so a read-only root file
// system suits it.
package main

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

func main() {
	if err := run(context.Background(), os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "image:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("image", flag.ContinueOnError)
	var o options
	fs.StringVar(&o.Version, "version", "", "the gateway's version (git describe); required")
	fs.StringVar(&o.Commit, "commit", "", "the commit built (git rev-parse HEAD)")
	fs.StringVar(&o.Date, "date", "", "the build time, RFC 3339 UTC (default now)")
	fs.StringVar(&o.Out, "o", "bin/cdp-gateway-image.tar", "the image tarball to write")
	fs.StringVar(&o.CACerts, "ca-certs", "/etc/ssl/certs/ca-certificates.crt", "the CA bundle copied into the image")
	fs.StringVar(&o.Module, "module", ".", "the gateway's module directory")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if o.Date == "" {
		o.Date = time.Now().UTC().Format(time.RFC3339)
	}
	return build(ctx, o)
}

// Ports the image exposes: the gateway's defaults for the API (config
// listen or --addr may change it) and for the operators' routes
// (--ops-addr).
const (
	apiPort = "8080/tcp"
	opsPort = "9090/tcp"
)

// The user the image runs as: distroless's nonroot.
const (
	uid  = 65532
	user = "65532:65532"
)

// buildinfoPkg is where the version is set at link time (as in the
// Makefile and the Dockerfile).
const buildinfoPkg = "github.com/cdp-gateway/cdp-gateway/internal/buildinfo"

type options struct {
	Version, Commit, Date string
	Out                   string
	CACerts               string
	Module                string
}

// build writes the image tarball o.Out.
func build(ctx context.Context, o options) (err error) {
	if o.Version == "" {
		return errors.New("-version is required")
	}
	created, err := time.Parse(time.RFC3339, o.Date)
	if err != nil {
		return fmt.Errorf("-date: %w", err)
	}
	certs, err := os.ReadFile(o.CACerts)
	if err != nil {
		return fmt.Errorf("CA certificates (install the ca-certificates package, or pass -ca-certs): %w", err)
	}
	work, err := os.MkdirTemp("", "cdp-gateway-image-")
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, os.RemoveAll(work)) }()

	bin := filepath.Join(work, "gateway")
	gobuild := exec.CommandContext(ctx, "go", "build", "-trimpath", "-ldflags", ldflags(o), "-o", bin, "./cmd/gateway")
	gobuild.Dir = o.Module
	gobuild.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH=amd64")
	if out, err := gobuild.CombinedOutput(); err != nil {
		return fmt.Errorf("go build: %w\n%s", err, out)
	}
	gateway, err := os.ReadFile(bin)
	if err != nil {
		return err
	}
	files, err := layerTar(created, []file{
		{name: "etc/", mode: 0o755 | fs.ModeDir},
		{name: "etc/group", mode: 0o644, data: []byte("root:x:0:\nnonroot:x:65532:\n")},
		{name: "etc/passwd", mode: 0o644, data: []byte("root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n")},
		{name: "etc/ssl/", mode: 0o755 | fs.ModeDir},
		{name: "etc/ssl/certs/", mode: 0o755 | fs.ModeDir},
		{name: "etc/ssl/certs/ca-certificates.crt", mode: 0o644, data: certs},
		{name: "gateway", mode: 0o755, data: gateway},
		{name: "home/", mode: 0o755 | fs.ModeDir},
		{name: "home/nonroot/", mode: 0o700 | fs.ModeDir, owner: uid},
	})
	if err != nil {
		return err
	}
	layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(files)), nil
	}, tarball.WithMediaType(types.OCILayer))
	if err != nil {
		return err
	}
	img, err := image(layer, o, created)
	if err != nil {
		return err
	}
	return writeTarball(img, o, filepath.Join(work, "layout"))
}

// ldflags strips the symbol table and sets the version.
func ldflags(o options) string {
	return fmt.Sprintf("-s -w -X %[1]s.version=%[2]s -X %[1]s.commit=%[3]s -X %[1]s.date=%[4]s", buildinfoPkg, o.Version, o.Commit, o.Date)
}

// image is layer on scratch with the gateway's configuration.
func image(layer v1.Layer, o options, created time.Time) (v1.Image, error) {
	base := mutate.MediaType(empty.Image, types.OCIManifestSchema1)
	base = mutate.ConfigMediaType(base, types.OCIConfigJSON)
	img, err := mutate.Append(base, mutate.Addendum{Layer: layer, History: v1.History{
		Created: v1.Time{Time: created}, CreatedBy: "make image (tools/image)", Comment: "the gateway, CA certificates, nonroot user",
	}})
	if err != nil {
		return nil, err
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture = "linux", "amd64"
	cf.Created = v1.Time{Time: created}
	cf.Config = v1.Config{
		Entrypoint:   []string{"/gateway"},
		User:         user,
		WorkingDir:   "/",
		ExposedPorts: map[string]struct{}{apiPort: {}, opsPort: {}},
		Labels: map[string]string{
			"org.opencontainers.image.title":    "cdp-gateway",
			"org.opencontainers.image.version":  o.Version,
			"org.opencontainers.image.revision": o.Commit,
			"org.opencontainers.image.created":  o.Date,
		},
	}
	return mutate.ConfigFile(img, cf)
}

// Name is the repository `docker load` and `podman load` tag the image in.
const Name = "cdp-gateway"

// tag is the image tag for a version: git describe's output is one,
// except for characters a tag may not hold.
func tag(version string) string {
	t := strings.TrimLeft(regexp.MustCompile(`[^A-Za-z0-9_.-]`).ReplaceAllString(version, "-"), ".-")
	if t == "" {
		return "latest"
	}
	return t[:min(len(t), 128)]
}

// writeTarball writes img as an OCI image layout in dir, adds a `docker
// save` manifest.json naming the same blobs, and tars dir into o.Out.
func writeTarball(img v1.Image, o options, dir string) error {
	ref := Name + ":" + tag(o.Version)
	p, err := layout.Write(dir, empty.Index)
	if err != nil {
		return err
	}
	if err := p.AppendImage(img, layout.WithAnnotations(map[string]string{
		"io.containerd.image.name":          "docker.io/library/" + ref,
		"org.opencontainers.image.ref.name": tag(o.Version),
	})); err != nil {
		return err
	}
	cfgName, err := img.ConfigName()
	if err != nil {
		return err
	}
	layers, err := img.Layers()
	if err != nil {
		return err
	}
	var layerPaths []string
	for _, l := range layers {
		d, err := l.Digest()
		if err != nil {
			return err
		}
		layerPaths = append(layerPaths, "blobs/sha256/"+d.Hex)
	}
	manifest, err := json.Marshal([]map[string]any{{
		"Config": "blobs/sha256/" + cfgName.Hex, "RepoTags": []string{ref}, "Layers": layerPaths,
	}})
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "manifest.json"), manifest, 0o644); err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(o.Out), 0o755); err != nil {
		return err
	}
	tmp := o.Out + ".tmp"
	if err := tarDir(dir, tmp); err != nil {
		return errors.Join(err, os.Remove(tmp))
	}
	return os.Rename(tmp, o.Out)
}

// file is one entry of the image's layer.
type file struct {
	name  string
	mode  fs.FileMode
	data  []byte
	owner int
}

// layerTar is the layer's tar stream; every entry has time t, so the
// same build writes the same layer.
func layerTar(t time.Time, files []file) ([]byte, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, f := range files {
		h := &tar.Header{Name: f.name, Mode: int64(f.mode.Perm()), ModTime: t, Uid: f.owner, Gid: f.owner, Format: tar.FormatPAX}
		if f.mode.IsDir() {
			h.Typeflag = tar.TypeDir
		} else {
			h.Typeflag, h.Size = tar.TypeReg, int64(len(f.data))
		}
		if err := tw.WriteHeader(h); err != nil {
			return nil, err
		}
		if _, err := tw.Write(f.data); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// tarDir writes the files under dir, in name order, as the tar out.
func tarDir(dir, out string) (err error) {
	var names []string
	if err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			names = append(names, path)
		}
		return err
	}); err != nil {
		return err
	}
	slices.Sort(names)
	f, err := os.Create(out)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, f.Close()) }()
	tw := tar.NewWriter(f)
	for _, path := range names {
		rel, _ := filepath.Rel(dir, path)
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if err := tw.WriteHeader(&tar.Header{Name: filepath.ToSlash(rel), Mode: 0o644, Size: int64(len(data)), Typeflag: tar.TypeReg}); err != nil {
			return err
		}
		if _, err := tw.Write(data); err != nil {
			return err
		}
	}
	return tw.Close()
}
