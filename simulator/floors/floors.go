package floors

import _ "embed"

// TwelveLaneName is TwelveLane's path in the repository.
const TwelveLaneName = "simulator/floors/12-lane.yaml"

// TwelveLane is 12-lane.yaml: two banks of six lanes and a service desk.
//
//go:embed 12-lane.yaml
var TwelveLane []byte
