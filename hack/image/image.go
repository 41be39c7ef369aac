package main

import (
	"archive/tar"
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// NonRootUID is the user the images run as: distroless' "nonroot", so the Dockerfiles and these images agree, and
// the generated pods' runAsNonRoot admits them.
const NonRootUID = 65532

// Spec says what one multi-platform image holds.
type Spec struct {
	Binary    string   // name of the binary, also the entrypoint /<Binary>
	BinDir    string   // holds <os>-<arch>/<Binary>
	Platforms []string // os/arch
	Version   string
	CABundle  string // path of a CA bundle to copy to /etc/ssl/certs/ca-certificates.crt; empty: none
}

// epoch is the creation time of every file and image: builds are reproducible, the same binaries give the same
// digests.
var epoch = time.Unix(0, 0).UTC()

// WriteLayout writes the image index of spec into an OCI image layout at dir, replacing what was there.
func WriteLayout(dir string, spec Spec) error {
	idx, err := Index(spec)
	if err != nil {
		return err
	}
	if err := os.RemoveAll(dir); err != nil {
		return err
	}
	// The layout's index.json names one multi-platform index, tagged with the version, as 'crane push' and
	// 'skopeo copy oci:<dir>:<version>' expect.
	p, err := layout.Write(dir, empty.Index)
	if err != nil {
		return fmt.Errorf("write layout %s: %w", dir, err)
	}
	if err := p.AppendIndex(idx, layout.WithAnnotations(map[string]string{"org.opencontainers.image.ref.name": spec.Version})); err != nil {
		return fmt.Errorf("write layout %s: %w", dir, err)
	}
	return nil
}

// Index builds the multi-platform image index of spec.
func Index(spec Spec) (v1.ImageIndex, error) {
	idx := mutate.IndexMediaType(empty.Index, types.OCIImageIndex)
	for _, p := range spec.Platforms {
		osName, arch, ok := strings.Cut(p, "/")
		if !ok {
			return nil, fmt.Errorf("platform %q: want os/arch", p)
		}
		img, err := Image(spec, osName, arch)
		if err != nil {
			return nil, err
		}
		idx = mutate.AppendManifests(idx, mutate.IndexAddendum{
			Add:        img,
			Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: osName, Architecture: arch}},
		})
	}
	return idx, nil
}

// Image builds the image of spec for one platform.
func Image(spec Spec, osName, arch string) (v1.Image, error) {
	binPath := filepath.Join(spec.BinDir, osName+"-"+arch, spec.Binary)
	binary, err := os.ReadFile(binPath)
	if err != nil {
		return nil, fmt.Errorf("binary for %s/%s (run 'make images' first): %w", osName, arch, err)
	}
	var ca []byte
	if spec.CABundle != "" {
		if ca, err = os.ReadFile(spec.CABundle); err != nil {
			return nil, fmt.Errorf("CA bundle: %w", err)
		}
	}
	layerTar, err := rootFS(spec.Binary, binary, ca)
	if err != nil {
		return nil, err
	}
	layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(layerTar)), nil
	}, tarball.WithMediaType(types.OCILayer))
	if err != nil {
		return nil, err
	}
	img := mutate.MediaType(empty.Image, types.OCIManifestSchema1)
	img = mutate.ConfigMediaType(img, types.OCIConfigJSON)
	img, err = mutate.AppendLayers(img, layer)
	if err != nil {
		return nil, err
	}
	cfg, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	cfg = cfg.DeepCopy()
	cfg.OS, cfg.Architecture = osName, arch
	cfg.Created = v1.Time{Time: epoch}
	cfg.Config.Entrypoint = []string{"/" + spec.Binary}
	cfg.Config.User = fmt.Sprintf("%d:%d", NonRootUID, NonRootUID)
	cfg.Config.WorkingDir = "/"
	cfg.Config.Env = []string{"PATH=/", "SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt"}
	cfg.Config.Labels = map[string]string{
		"org.opencontainers.image.title":    "otelcol-operator " + spec.Binary,
		"org.opencontainers.image.version":  spec.Version,
		"org.opencontainers.image.licenses": "Apache-2.0",
		"org.opencontainers.image.source":   "https://github.com/otelcol-operator/otelcol-operator",
	}
	return mutate.ConfigFile(img, cfg)
}

// rootFS is the image's only layer: the binary, /etc/passwd and /etc/group naming the non-root user (some libraries
// look the user up), /tmp, and the CA bundle when given.
func rootFS(name string, binary, ca []byte) ([]byte, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	dir := func(path string, mode int64) error {
		return tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: path, Mode: mode, ModTime: epoch, Format: tar.FormatPAX})
	}
	file := func(path string, mode int64, uid int, data []byte) error {
		if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: path, Mode: mode, Size: int64(len(data)),
			Uid: uid, Gid: uid, ModTime: epoch, Format: tar.FormatPAX}); err != nil {
			return err
		}
		_, err := tw.Write(data)
		return err
	}
	passwd := fmt.Sprintf("root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:%d:%d:nonroot:/home/nonroot:/sbin/nologin\n", NonRootUID, NonRootUID)
	group := fmt.Sprintf("root:x:0:\nnonroot:x:%d:\n", NonRootUID)
	steps := []func() error{
		func() error { return dir("etc/", 0o755) },
		func() error { return file("etc/passwd", 0o644, 0, []byte(passwd)) },
		func() error { return file("etc/group", 0o644, 0, []byte(group)) },
		func() error { return dir("tmp/", 0o1777) },
		func() error { return file(name, 0o755, 0, binary) },
	}
	if ca != nil {
		steps = append(steps,
			func() error { return dir("etc/ssl/", 0o755) },
			func() error { return dir("etc/ssl/certs/", 0o755) },
			func() error { return file("etc/ssl/certs/ca-certificates.crt", 0o644, 0, ca) })
	}
	for _, s := range steps {
		if err := s(); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
