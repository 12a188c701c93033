package protocol

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestPageText(t *testing.T) {
	require.Equal(t, "Lane 3: unexpected item in the bagging area", PageText(Alert{Lane: "3", Kind: KindUnexpectedItem}))
	require.Equal(t, "Lane 7: age check (Red wine 75cl)", PageText(Alert{Lane: "7", Kind: KindAgeCheck, Item: &ItemRef{Name: "Red wine 75cl"}}))
	for _, k := range Kinds {
		require.NotEqual(t, string(k), k.Text(), k)
	}
}
