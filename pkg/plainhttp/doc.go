// Package plainhttp decides what of a scrape config the target allocator may serve on its plain-HTTP
// /scrape_configs, which anyone who reaches the port can read.
//
// Values that came from a Secret or a file (passwords, tokens, client keys, but also a basic-auth username, an
// OAuth2 client id or an inline CA that the Prometheus Operator resources take from Secrets) never appear there,
// and neither does a placeholder for them: a collector that receives "<secret>" as a password logs in with that
// text. So an authentication block is left out whole, and a job that would still carry a credential is left out
// whole. The mTLS listener serves the configs unchanged.
//
// Service discovery configs (except static_configs) are always left out of the plain copy: discovery runs in the
// target allocator, and a collector that pulls /scrape_configs replaces each job's discovery with an http_sd
// config pointing at the target allocator, so they serve no one there, while their strings (an EC2 access key, an
// Azure client id, an OpenStack user name) may well come from Secrets.
package plainhttp
