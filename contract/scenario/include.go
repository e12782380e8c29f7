package scenario

import (
	"os"
	"path/filepath"
	"strconv"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/parser"

	"github.com/paysandbox/paysandbox/contract/expr"
)

// stepsFile is a file of shared steps (NAME.steps.yaml), included by
// scenarios with a step `include: NAME.steps.yaml`.
type stepsFile struct {
	Description string `yaml:"description"`
	Steps       []Step `yaml:"steps"`
}

// include compiles the steps of an included file in the including
// scenario's environment; problems point into the included file.
func (p *parse) include(st *Step, i int, shape expr.Env) []CompiledStep {
	path := []string{"steps", strconv.Itoa(i), "include"}
	if p.included {
		p.add(path, "an included steps file cannot include another")
		return nil
	}
	if st.Request != nil || st.Await != nil || st.Sim != nil || st.Callback != nil || st.Assert != nil || st.Expect != nil || st.Capture != nil || st.Retry != nil {
		p.add(path, "an include step has only include (and a name)")
		return nil
	}
	file := st.Include
	if !filepath.IsAbs(file) {
		file = filepath.Join(p.dir, file)
	}
	data, err := os.ReadFile(file)
	if err != nil {
		p.add(path, "include: %v", err)
		return nil
	}
	q := &parse{file: file, dir: filepath.Dir(file), helpers: p.helpers, included: true, captured: p.captured}
	defer func() { p.probs, p.captured = append(p.probs, q.probs...), q.captured }()
	astFile, err := parser.ParseBytes(data, 0)
	if err != nil {
		q.yamlError(err)
		return nil
	}
	if len(astFile.Docs) != 1 || astFile.Docs[0].Body == nil {
		q.add(nil, "want one YAML document with steps:")
		return nil
	}
	q.root = astFile.Docs[0].Body
	var sf stepsFile
	if err := yaml.NodeToValue(q.root, &sf, yaml.Strict(), yaml.DisallowUnknownField()); err != nil {
		q.yamlError(err)
		return nil
	}
	if len(sf.Steps) == 0 {
		q.add(nil, "an included file needs steps:")
		return nil
	}
	return q.steps(sf.Steps, shape)
}
