package trace

import (
	"testing"

	"maillab/trace/i18n"
)

// TestEveryRuleIsExplained: each verdict rule says what it found and
// what to do instead, in every language.
func TestEveryRuleIsExplained(t *testing.T) {
	zh := i18n.New(i18n.Chinese)
	for _, r := range Rules {
		w := ruleTable[r]
		if w.label == "" || w.found == "" || w.advice == "" {
			t.Errorf("rule %s has no words or no advice", r)
		}
		if RuleIn(zh, r) == w.found || RuleAdvice(zh, r) == w.advice {
			t.Errorf("rule %s is not in Chinese", r)
		}
	}
}
