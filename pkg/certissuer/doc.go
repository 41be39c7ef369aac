// Package certissuer issues the certificates between collectors and their target allocator without cert-manager:
// a CA per collector, a short-lived server certificate for the target allocator's mTLS listener and a short-lived
// client certificate for the collectors, all from crypto/x509 with ECDSA P-256 keys.
//
// A CA per collector (not one per operator) matters: the target allocator trusts every client certificate its CA
// signed, and serves it the credentials of the monitors it selects, so a client certificate of one collector must
// not open another collector's target allocator.
//
// Renewal is decided by NeedsRenewal: a certificate is renewed when less than a third of its lifetime is left, so
// with the default lifetimes a failed renewal has days to be retried before anything expires.
package certissuer
