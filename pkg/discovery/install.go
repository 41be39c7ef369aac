package discovery

// Every service discovery mechanism Prometheus has, so that any scrape config a user writes works in the TA.
import _ "github.com/prometheus/prometheus/discovery/install"
