package pagerclient_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sco-project/sco/pagerclient"
	"github.com/sco-project/sco/protocol"
)

func TestDeviceName(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "sco")
	name, err := pagerclient.DeviceName(dir)
	require.NoError(t, err)
	assert.True(t, protocol.ValidMsgID(name), "%q", name)
	again, err := pagerclient.DeviceName(dir)
	require.NoError(t, err)
	assert.Equal(t, name, again, "stable per install")

	require.NoError(t, os.WriteFile(filepath.Join(dir, pagerclient.DeviceFile), []byte("tc52\n"), 0o600))
	name, err = pagerclient.DeviceName(dir)
	require.NoError(t, err)
	assert.Equal(t, "tc52", name, "store IT may name it")

	require.NoError(t, os.WriteFile(filepath.Join(dir, pagerclient.DeviceFile), []byte("ana's phone\n"), 0o600))
	_, err = pagerclient.DeviceName(dir)
	assert.ErrorContains(t, err, `device name "ana's phone" must be`)
}
