# The benchmark's checks in Rego: the same violation set as benchmarks/rules/*.yaml under
# benchmarks/policy.yaml, computed from the same spec JSON. `data.bench` holds what dlc ships as
# catalogs (locations -> countries, category implications, accelerator spellings -> ECCN), the
# policy's country groups and the evaluation date; benchmarks/rego_eval.py builds it from dlc's
# own catalogs. Written to be linear in the flows (multi-value rules index flows by dataset;
# graph.reachable follows each dataset), as a careful Rego author would.
#
# Result: data.dlc.bench.findings, a set of [rule, subject kind, subject id, dataset or null].
package dlc.bench

import rego.v1

as_of := data.bench.as_of

groups := data.bench.groups

approvals := {a.id: a | some a in input.approvals}

datasets := {d.id: d | some d in input.datasets}

systems := {s.id: s | some s in input.systems}

# --- catalogs ---------------------------------------------------------------------------------

location_country(l) := upper(trim_space(l)) if data.bench.countries[upper(trim_space(l))]

location_country(l) := data.bench.regions[lower(trim_space(l))] if not data.bench.countries[upper(trim_space(l))]

country := {s.id: location_country(s.location) | some s in input.systems}

normalize(model) := trim_space(lower(regex.replace(model, `[\s_-]+`, " ")))

eccn(model) := data.bench.accelerators[normalize(model)]

eccn(model) := "unknown" if not data.bench.accelerators[normalize(model)]

valid(a) if {
	object.get(a, "valid_from", as_of) <= as_of
	not expired(a)
}

expired(a) if as_of >= a.expires

destinations(a) := {upper(c) | some c in object.get(a, "destinations", [])}

# --- lineage: a dataset's effective facts are the union over the ancestors it inherits from ---

derived_from(d) := object.get(d, "derived_from", [])

lift_pi := {"anonymized", "aggregated"}

parents := {d.id: derived_from(d) | some d in input.datasets}

parents_lifted := {d.id: ps | some d in input.datasets; ps := lifted_parents(d)}

lifted_parents(d) := [] if object.get(d, "transform", "none") in lift_pi

lifted_parents(d) := derived_from(d) if not object.get(d, "transform", "none") in lift_pi

subject_parents := {d.id: ps | some d in input.datasets; ps := subject_parents_of(d)}

subject_parents_of(d) := [] if d.subjects

subject_parents_of(d) := derived_from(d) if not d.subjects

origins(ancestors) := {upper(datasets[a].origin) | some a in ancestors; datasets[a].origin}

categories(ancestors) := {c | some a in ancestors; some raw in datasets[a].categories; some c in data.bench.category_closure[raw]}

view := {id: v |
	some id, _ in datasets
	ancestors := graph.reachable(parents, {id})
	lifted := graph.reachable(parents_lifted, {id})
	counted := graph.reachable(subject_parents, {id})
	v := {
		"ancestors": ancestors,
		"origins": origins(ancestors),
		"categories": categories(ancestors),
		"important": count({a | some a in ancestors; datasets[a].important == true}) > 0,
		"origins_pi": origins(lifted),
		"categories_pi": categories(lifted),
		"subjects_max": max({0} | {datasets[a].subjects | some a in counted; datasets[a].subjects}),
		"subjects_unknown": count({a | some a in counted; not datasets[a].subjects; count(derived_from(datasets[a])) == 0}) > 0,
	}
}

naming[d] contains a.id if {
	some a in input.approvals
	some d in object.get(a, "datasets", [])
}

tracked[id] := {a | some anc in view[id].ancestors; some a in naming[anc]} if {
	some id, _ in datasets
}

# --- where each dataset goes ------------------------------------------------------------------

carrying[d] contains i if {
	some i, f in input.flows
	some d in f.datasets
}

dataset_graph(idxs, excluded) := {s: {input.flows[i].to | some i in idxs; input.flows[i].from == s; not lists_any(input.flows[i], excluded)} |
	some j in idxs
	s := input.flows[j].from
}

lists_any(flow, ids) if {
	some a in object.get(flow, "approvals", [])
	a in ids
}

touched[d] contains s if {
	some d, idxs in carrying
	some i in idxs
	some s in [input.flows[i].from, input.flows[i].to]
}

# where a dataset's data starts (as dlc's propagation does): systems no flow of it leads into; then,
# for rings nothing leads into, every one of the ring's systems in the dataset's origin countries or
# reached by a parent dataset; then every system still unreached (fail closed)
preferred_source(d, s) if {
	some p in parents[d]
	s in touched[p]
}

preferred_source(d, s) if country[s] in view[d].origins

dataset_roots := {d: union({r0, added, rest}) |
	some d, idxs in carrying
	sources := {input.flows[i].from | some i in idxs}
	targets := {input.flows[i].to | some i in idxs}
	g := dataset_graph(idxs, set())
	r0 := sources - targets
	reach0 := graph.reachable(g, r0)
	added := {s | some s in sources; not s in reach0; preferred_source(d, s)}
	rest := sources - graph.reachable(g, r0 | added)
}

reached := {d: graph.reachable(dataset_graph(idxs, set()), dataset_roots[d]) | some d, idxs in carrying}

# every (dataset, flow) the data actually crosses
arrivals contains [d, i] if {
	some d, idxs in carrying
	some i in idxs
	input.flows[i].from in reached[d]
}

# no approval that covers (dataset, destination country, purpose) with one of `kinds` is listed on
# some path from a root that carries the dataset into flow i
uncovered(d, i, kinds) if {
	flow := input.flows[i]
	good := covering(d, flow, kinds)
	count(good) == 0
}

uncovered(d, i, kinds) if {
	flow := input.flows[i]
	good := covering(d, flow, kinds)
	count(good) > 0
	not lists_any(flow, good)
	flow.from in graph.reachable(dataset_graph(carrying[d], good), dataset_roots[d])
}

covering(d, flow, kinds) := {id |
	some id in tracked[d]
	a := approvals[id]
	a.kind in kinds
	valid(a)
	country[flow.to] in destinations(a)
	purpose_ok(a, flow)
}

purpose_ok(a, flow) if count(object.get(a, "purposes", [])) == 0

purpose_ok(a, flow) if flow.purpose in a.purposes

crosses(flow) if country[flow.from] != country[flow.to]

# --- the checks ---------------------------------------------------------------------------------

findings contains ["BENCH-CN-PI-EXPORT", "flow", flow.id, d] if {
	some [d, i] in arrivals
	flow := input.flows[i]
	v := view[d]
	some o in v.origins_pi
	o in groups["cn-mainland"]
	"personal" in v.categories_pi
	crosses(flow)
	not country[flow.to] in groups["cn-mainland"]
	uncovered(d, i, {"cn-security-assessment", "cn-standard-contract", "cn-certification"})
}

findings contains ["BENCH-CN-IMPORTANT-EXPORT", "flow", flow.id, d] if {
	some [d, i] in arrivals
	flow := input.flows[i]
	v := view[d]
	v.important
	some o in v.origins
	o in groups["cn-mainland"]
	crosses(flow)
	not country[flow.to] in groups["cn-mainland"]
	uncovered(d, i, {"cn-security-assessment"})
}

findings contains ["BENCH-EU-PD-EXPORT", "flow", flow.id, d] if {
	some [d, i] in arrivals
	flow := input.flows[i]
	v := view[d]
	some o in v.origins_pi
	o in groups["eu-eea"]
	"personal" in v.categories_pi
	not country[flow.to] in groups["eu-eea"]
	not country[flow.to] in groups["gdpr-adequate"]
	not dpf_certified(flow.to)
	uncovered(d, i, {"eu-scc", "eu-bcr"})
}

dpf_certified(s) if {
	country[s] == "US"
	"eu-us-dpf" in object.get(systems[s], "certifications", [])
}

findings contains ["BENCH-RU-PD-LOCALIZATION", "flow", flow.id, d] if {
	some [d, i] in arrivals
	flow := input.flows[i]
	v := view[d]
	"RU" in v.origins
	"personal" in v.categories
	country[flow.from] == "RU"
	country[flow.to] != "RU"
}

findings contains ["BENCH-UNENCRYPTED-XBORDER", "flow", flow.id, d] if {
	some [d, i] in arrivals
	flow := input.flows[i]
	some c in view[d].categories
	c in {"biometric", "health", "financial", "sensitive-personal"}
	crosses(flow)
	object.get(flow, "encrypted", null) != true
}

findings contains ["BENCH-DOJ-BULK", "flow", flow.id, d] if {
	some [d, i] in arrivals
	flow := input.flows[i]
	v := view[d]
	"US" in v.origins
	some c in v.categories
	c in {"geolocation", "biometric", "health", "financial", "personal-identifiers"}
	bulk(v)
	country[flow.to] in groups["us-doj-concern"]
}

bulk(v) if v.subjects_unknown

bulk(v) if v.subjects_max >= 100000

findings contains ["BENCH-CN-REMOTE-ACCESS", "flow", flow.id, d] if {
	some [d, i] in arrivals
	flow := input.flows[i]
	flow.mode == "remote-access"
	v := view[d]
	some o in v.origins
	o in groups["cn-mainland"]
	some c in v.categories
	c in {"vehicle-exterior-video", "geolocation", "vehicle-cabin-audio-video"}
	not country[flow.to] in groups["cn-mainland"]
}

licences(s) := {a.kind |
	some id in object.get(s, "approvals", [])
	a := approvals[id]
	valid(a)
	names_system(a, s)
}

names_system(a, s) if s.id in object.get(a, "systems", [])

names_system(a, s) if country[s.id] in destinations(a)

findings contains ["BENCH-AC-GPU-LICENCE", "system", s.id, null] if {
	some s in input.systems
	some acc in s.accelerators
	eccn(acc.model) in {"3A090.a", "3A090.b"}
	country[s.id] in groups["us-ear-ac-licence"]
	not "us-export-license" in licences(s)
}

findings contains ["BENCH-UNKNOWN-GPU", "system", s.id, null] if {
	some s in input.systems
	some acc in s.accelerators
	eccn(acc.model) == "unknown"
	country[s.id] in groups["us-ear-ac-licence"]
}

findings contains ["BENCH-FLOW-INVALID-APPROVAL", "flow", flow.id, null] if {
	some flow in input.flows
	some id in object.get(flow, "approvals", [])
	not valid(approvals[id])
}

relied_on contains id if {
	some x in array.concat(input.flows, input.systems)
	some id in object.get(x, "approvals", [])
}

findings contains ["BENCH-APPROVAL-EXPIRING", "approval", a.id, null] if {
	some a in input.approvals
	a.id in relied_on
	valid(a)
	days := (time.parse_ns("2006-01-02", a.expires) - time.parse_ns("2006-01-02", as_of)) / 86400000000000
	days < 90
}
