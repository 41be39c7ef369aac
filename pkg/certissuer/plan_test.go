package certissuer

import (
	"bytes"
	"crypto/x509"
	"testing"
	"time"
)

var testSubject = Subject{CAName: "ns/otel", ServerDNS: []string{"otel-targetallocator", "otel-targetallocator.ns.svc"}, ClientName: "ns/otel"}

func mustPlan(t *testing.T, m Material, now time.Time) (Material, time.Time) {
	t.Helper()
	out, next, err := Plan(m, testSubject, now, DefaultPolicy)
	if err != nil {
		t.Fatal(err)
	}
	return out, next
}

func sameMaterial(a, b Material) bool {
	return bytes.Equal(a.CA.CertPEM, b.CA.CertPEM) && bytes.Equal(a.CA.KeyPEM, b.CA.KeyPEM) &&
		bytes.Equal(a.NextCA.CertPEM, b.NextCA.CertPEM) && bytes.Equal(a.PreviousCA, b.PreviousCA) &&
		bytes.Equal(a.Server.CertPEM, b.Server.CertPEM) && bytes.Equal(a.Server.KeyPEM, b.Server.KeyPEM) &&
		bytes.Equal(a.Client.CertPEM, b.Client.CertPEM) && bytes.Equal(a.Client.KeyPEM, b.Client.KeyPEM)
}

func TestPlanIssuesThenKeeps(t *testing.T) {
	m, next := mustPlan(t, Material{}, t0)
	for _, name := range testSubject.ServerDNS {
		if err := Verify(m.Server, m.TrustBundle(), x509.ExtKeyUsageServerAuth, name, t0); err != nil {
			t.Errorf("server certificate for %s: %v", name, err)
		}
	}
	if err := Verify(m.Client, m.TrustBundle(), x509.ExtKeyUsageClientAuth, "", t0); err != nil {
		t.Errorf("client certificate: %v", err)
	}
	if err := Verify(m.Client, m.TrustBundle(), x509.ExtKeyUsageServerAuth, "", t0); err == nil {
		t.Error("the client certificate is valid for server auth")
	}
	// The next plan is due when the leaves have a third of their life left, and until then nothing changes.
	if want := t0.Add(DefaultLeafLifetime * 2 / 3); next.Before(want.Add(-clockSkew)) || next.After(want) {
		t.Errorf("next plan at %v, want about %v", next, want)
	}
	again, _ := mustPlan(t, m, next.Add(-time.Minute))
	if !sameMaterial(m, again) {
		t.Error("a plan before anything is due changed the material")
	}
	renewed, _ := mustPlan(t, m, next.Add(time.Minute))
	if !bytes.Equal(renewed.CA.CertPEM, m.CA.CertPEM) || bytes.Equal(renewed.Server.CertPEM, m.Server.CertPEM) || bytes.Equal(renewed.Client.CertPEM, m.Client.CertPEM) {
		t.Error("at the renewal time the leaves were not renewed from the same CA")
	}
}

// TestPlanReplacesPlantedMaterial plays someone who writes the Secrets: leaves from another CA, a key that does not
// belong to its certificate, a server certificate for another name, a CA that is not a CA.
func TestPlanReplacesPlantedMaterial(t *testing.T) {
	m, _ := mustPlan(t, Material{}, t0)
	other, _, err := Plan(Material{}, Subject{CAName: "attacker", ServerDNS: []string{"evil"}, ClientName: "evil"}, t0, DefaultPolicy)
	if err != nil {
		t.Fatal(err)
	}
	for name, planted := range map[string]func(Material) Material{
		"client from another CA": func(x Material) Material { x.Client = other.Client; return x },
		"server from another CA": func(x Material) Material { x.Server = other.Server; return x },
		"server for another name": func(x Material) Material {
			x.Server, _ = IssueServer(x.CA, []string{"evil"}, t0, DefaultLeafLifetime)
			return x
		},
		"key of another cert": func(x Material) Material { x.Client.KeyPEM = other.Client.KeyPEM; return x },
		"client cert as server": func(x Material) Material {
			x.Server = x.Client
			return x
		},
	} {
		got, _ := mustPlan(t, planted(m), t0.Add(time.Hour))
		if err := Verify(got.Server, m.CA.CertPEM, x509.ExtKeyUsageServerAuth, testSubject.ServerDNS[0], t0.Add(time.Hour)); err != nil {
			t.Errorf("%s: server not replaced by one of our CA: %v", name, err)
		}
		if err := Verify(got.Client, m.CA.CertPEM, x509.ExtKeyUsageClientAuth, "", t0.Add(time.Hour)); err != nil {
			t.Errorf("%s: client not replaced by one of our CA: %v", name, err)
		}
	}
	// A leaf pair where the CA should be: not a CA, so a new CA is made and everything reissued.
	got, _ := mustPlan(t, Material{CA: m.Server}, t0)
	if c, _ := parseCert(got.CA.CertPEM); c == nil || !c.IsCA || bytes.Equal(got.CA.CertPEM, m.Server.CertPEM) {
		t.Error("a leaf stored as the CA was kept")
	}
}

// TestPlanRotationNeverStrandsAPeer runs the planner over three CA lifetimes, the operator looking every few hours
// and again a second later (the watch event of its own write), and checks what a peer that has not reloaded yet sees.
// A peer holds the trust bundle that was stored up to reloadDelay ago: every new leaf must be signed by a CA in that
// bundle, and the leaves peers still present must be accepted by the new bundle.
func TestPlanRotationNeverStrandsAPeer(t *testing.T) {
	const reloadDelay = 30 * time.Minute // below DefaultPolicy.Stage
	type stored struct {
		at time.Time
		m  Material
	}
	m, _ := mustPlan(t, Material{}, t0)
	history := []stored{{t0, m}}
	heldAt := func(at time.Time) Material { // the material stored at time at
		h := history[0].m
		for _, s := range history {
			if s.at.After(at) {
				break
			}
			h = s.m
		}
		return h
	}
	cas := map[string]bool{string(m.CA.CertPEM): true}
	for step := t0.Add(11 * time.Hour); step.Before(t0.Add(3 * DefaultCALifetime)); step = step.Add(11 * time.Hour) {
		for _, now := range []time.Time{step, step.Add(time.Second)} {
			next, _ := mustPlan(t, m, now)
			if sameMaterial(next, m) {
				continue
			}
			if err := Verify(m.Client, next.TrustBundle(), x509.ExtKeyUsageClientAuth, "", now); err != nil {
				t.Fatalf("%v: the client certificate still in use is refused by the new bundle: %v", now, err)
			}
			if err := Verify(m.Server, next.TrustBundle(), x509.ExtKeyUsageServerAuth, testSubject.ServerDNS[0], now); err != nil {
				t.Fatalf("%v: the server certificate still in use is refused by the new bundle: %v", now, err)
			}
			held := heldAt(now.Add(-reloadDelay)).TrustBundle()
			if err := Verify(next.Server, held, x509.ExtKeyUsageServerAuth, testSubject.ServerDNS[0], now); err != nil {
				t.Fatalf("%v: the new server certificate is not trusted by the bundle peers hold: %v", now, err)
			}
			if err := Verify(next.Client, held, x509.ExtKeyUsageClientAuth, "", now); err != nil {
				t.Fatalf("%v: the new client certificate is not trusted by the bundle peers hold: %v", now, err)
			}
			cas[string(next.CA.CertPEM)] = true
			m = next
			history = append(history, stored{now, m})
		}
	}
	if len(cas) < 3 {
		t.Errorf("%d CAs in three CA lifetimes: the CA was not rotated", len(cas))
	}
}

// TestPlanAfterALongOutage: the operator was down past the signing CA's expiry; a staged successor takes over, and
// without one everything starts anew.
func TestPlanAfterALongOutage(t *testing.T) {
	m, _ := mustPlan(t, Material{}, t0)
	staged, _ := mustPlan(t, m, t0.Add(DefaultCALifetime*2/3+time.Minute))
	if len(staged.NextCA.CertPEM) == 0 {
		t.Fatal("no successor staged at two thirds of the CA's life")
	}
	late := t0.Add(DefaultCALifetime + time.Hour)
	got, _ := mustPlan(t, Material{CA: staged.CA, NextCA: staged.NextCA}, late)
	if !bytes.Equal(got.CA.CertPEM, staged.NextCA.CertPEM) {
		t.Error("the staged successor does not sign after the CA expired")
	}
	fresh, _ := mustPlan(t, Material{CA: m.CA, Server: m.Server, Client: m.Client}, late)
	if bytes.Equal(fresh.CA.CertPEM, m.CA.CertPEM) || !validCA(fresh.CA, late) {
		t.Error("an expired CA was kept")
	}
	if err := Verify(fresh.Client, fresh.CA.CertPEM, x509.ExtKeyUsageClientAuth, "", late); err != nil {
		t.Errorf("after a new CA the client certificate is not reissued: %v", err)
	}
}
