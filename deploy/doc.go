// Package deploy holds what runs the gateway on Kubernetes: the Helm chart
// (helm/cdp-gateway), with the alert rules and the Grafana dashboard in its
// files/. Its tests render the chart with a pinned helm and check the
// manifests, the schema, the alerts and the dashboard.
package deploy
