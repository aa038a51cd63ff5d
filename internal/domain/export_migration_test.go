package domain

// PlanOf is planOf: a migration job's plan (tests).
var PlanOf = planOf
