package http

//go:generate go tool oapi-codegen --config=cfg.yaml ../../api/openapi.yaml
