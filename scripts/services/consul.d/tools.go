//go:build tools

// Package tools pins the open-source (MPL-2.0) Consul agent that
// scripts/services/consul builds for the integration tests.
package tools

import _ "github.com/hashicorp/consul"
