// Command image builds the operator's and the target allocator's OCI images without docker: each image is one layer
// holding the static binary (from 'make images'), a passwd entry for the non-root user and the CA bundle, on an
// empty base, written as a multi-platform index into an OCI image layout directory. 'crane push' or
// 'skopeo copy oci:<dir> docker://...' publishes a layout as it is.
//
// Usage: go run ./hack/image -bin bin -out bin/oci -version 0.1.0
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

func main() {
	bin := flag.String("bin", "bin", "directory holding <os>-<arch>/<binary> from 'make images'")
	out := flag.String("out", "bin/oci", "directory receiving one OCI image layout per binary")
	version := flag.String("version", "dev", "image version label")
	binaries := flag.String("binaries", "operator,target-allocator", "comma-separated binaries to package")
	platforms := flag.String("platforms", "linux/amd64,linux/arm64", "comma-separated os/arch list")
	caBundle := flag.String("ca-bundle", "/etc/ssl/certs/ca-certificates.crt", "CA bundle copied into the images (empty: none)")
	flag.Parse()

	for _, name := range strings.Split(*binaries, ",") {
		spec := Spec{
			Binary:    name,
			BinDir:    *bin,
			Platforms: strings.Split(*platforms, ","),
			Version:   *version,
			CABundle:  *caBundle,
		}
		dir := filepath.Join(*out, name)
		if err := WriteLayout(dir, spec); err != nil {
			fmt.Fprintf(os.Stderr, "image %s: %v\n", name, err)
			os.Exit(1)
		}
		fmt.Printf("%s: %s (%s)\n", name, dir, *platforms)
	}
}
