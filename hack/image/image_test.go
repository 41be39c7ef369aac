package main

import (
	"archive/tar"
	"bytes"
	"debug/elf"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
)

// TestLayoutImages builds a small static program for each platform, packages it as the Makefile does, then opens
// the layout as a registry client would and checks what a kubelet relies on: one manifest per platform whose
// config names that platform, the entrypoint, a non-root numeric user, and a binary of the right machine type.
func TestLayoutImages(t *testing.T) {
	bin := t.TempDir()
	src := filepath.Join(t.TempDir(), "main.go")
	if err := os.WriteFile(src, []byte("package main\nfunc main() {}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	machines := map[string]elf.Machine{"amd64": elf.EM_X86_64, "arm64": elf.EM_AARCH64}
	for arch := range machines {
		cmd := exec.Command("go", "build", "-o", filepath.Join(bin, "linux-"+arch, "target-allocator"), src)
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+arch)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("build %s: %v\n%s", arch, err, out)
		}
	}
	ca := filepath.Join(t.TempDir(), "ca.crt")
	if err := os.WriteFile(ca, []byte("-----BEGIN CERTIFICATE-----\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "oci")
	spec := Spec{Binary: "target-allocator", BinDir: bin, Platforms: []string{"linux/amd64", "linux/arm64"}, Version: "1.2.3", CABundle: ca}
	if err := WriteLayout(dir, spec); err != nil {
		t.Fatal(err)
	}

	outer, err := layout.ImageIndexFromPath(dir)
	if err != nil {
		t.Fatal(err)
	}
	// layout.Write wraps the index in the layout's own index.json.
	om, err := outer.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	if len(om.Manifests) != 1 {
		t.Fatalf("index.json holds %d entries, want the one multi-platform index", len(om.Manifests))
	}
	idx, err := outer.ImageIndex(om.Manifests[0].Digest)
	if err != nil {
		t.Fatal(err)
	}
	im, err := idx.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, d := range im.Manifests {
		if d.Platform == nil {
			t.Fatalf("manifest %s has no platform", d.Digest)
		}
		arch := d.Platform.Architecture
		seen[arch] = true
		img, err := idx.Image(d.Digest)
		if err != nil {
			t.Fatal(err)
		}
		cfg, err := img.ConfigFile()
		if err != nil {
			t.Fatal(err)
		}
		if cfg.OS != "linux" || cfg.Architecture != arch {
			t.Errorf("%s: config says %s/%s", arch, cfg.OS, cfg.Architecture)
		}
		if got := strings.Join(cfg.Config.Entrypoint, " "); got != "/target-allocator" {
			t.Errorf("%s: entrypoint %q", arch, got)
		}
		if cfg.Config.User != "65532:65532" {
			t.Errorf("%s: user %q, want the numeric non-root 65532:65532 (runAsNonRoot needs a number)", arch, cfg.Config.User)
		}
		if cfg.Config.Labels["org.opencontainers.image.version"] != "1.2.3" {
			t.Errorf("%s: version label %q", arch, cfg.Config.Labels["org.opencontainers.image.version"])
		}
		files := extract(t, mutate.Extract(img))
		f, err := elf.NewFile(bytes.NewReader(files["target-allocator"]))
		if err != nil {
			t.Fatalf("%s: entrypoint is no ELF binary: %v", arch, err)
		}
		if f.Machine != machines[arch] {
			t.Errorf("%s: binary is for %v", arch, f.Machine)
		}
		if !strings.Contains(string(files["etc/passwd"]), ":65532:65532:") {
			t.Errorf("%s: /etc/passwd has no non-root user: %q", arch, files["etc/passwd"])
		}
		if _, ok := files["etc/ssl/certs/ca-certificates.crt"]; !ok {
			t.Errorf("%s: no CA bundle", arch)
		}
	}
	if !seen["amd64"] || !seen["arm64"] || len(im.Manifests) != 2 {
		t.Errorf("platforms %v, want amd64 and arm64", seen)
	}

	// Reproducible: the same inputs give the same digest.
	again := filepath.Join(t.TempDir(), "oci")
	if err := WriteLayout(again, spec); err != nil {
		t.Fatal(err)
	}
	outer2, err := layout.ImageIndexFromPath(again)
	if err != nil {
		t.Fatal(err)
	}
	om2, err := outer2.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	if om2.Manifests[0].Digest != om.Manifests[0].Digest {
		t.Errorf("digest changed between two builds of the same binaries: %s vs %s", om.Manifests[0].Digest, om2.Manifests[0].Digest)
	}
}

func extract(t *testing.T, rc io.ReadCloser) map[string][]byte {
	t.Helper()
	defer rc.Close()
	files := map[string][]byte{}
	tr := tar.NewReader(rc)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return files
		}
		if err != nil {
			t.Fatal(err)
		}
		if h.Typeflag == tar.TypeReg {
			b, err := io.ReadAll(tr)
			if err != nil {
				t.Fatal(err)
			}
			files[strings.TrimPrefix(h.Name, "/")] = b
		}
	}
}
