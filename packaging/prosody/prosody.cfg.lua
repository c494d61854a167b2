-- Prosody as the host of mucd, configured from the environment (packaging/prosody/Dockerfile
-- lists the variables). The part that matters for any Prosody is at the end: mucd's domain is a
-- Component with a component_secret, and Prosody's own MUC ("muc" module) is not loaded for it.

local function env(name, default)
	local value = os.getenv(name)
	if value == nil or value == "" then return default end
	return value
end

local function list(text)
	local items = {}
	for item in text:gmatch("[^,%s]+") do items[#items + 1] = item end
	return items
end

local domain = env("PROSODY_DOMAIN", "localhost")
local muc_domain = env("MUC_DOMAIN", "conference." .. domain)

local secret = env("MUCD_SECRET")
local secret_file = env("MUCD_SECRET_FILE")
if not secret and secret_file then
	local file = assert(io.open(secret_file, "r"))
	secret = file:read("*l")
	file:close()
end
if not secret or secret == "" then
	error("set MUCD_SECRET (or MUCD_SECRET_FILE): the component secret mucd logs in with", 0)
end

pidfile = "/var/lib/prosody/prosody.pid"
data_path = "/var/lib/prosody"
certificates = "/etc/prosody/certs"
log = { { levels = { min = env("PROSODY_LOG_LEVEL", "info") }, to = "console" } }
admins = list(env("PROSODY_ADMINS", ""))

plugin_paths = { "/usr/share/mucd/prosody" }  -- mod_mucd_fanout (see the Component below)
modules_enabled = { "roster"; "saslauth"; "disco"; "ping"; "vcard_legacy"; "presence"; }
modules_disabled = { "s2s"; }
s2s_ports = {}
c2s_direct_tls_ports = {}
c2s_ports = { tonumber(env("PROSODY_C2S_PORT", "5222")) }
component_ports = { tonumber(env("PROSODY_COMPONENT_PORT", "5347")) }
-- Options assigned here go into Prosody's configuration and cannot be read back: use locals.
local interfaces = list(env("PROSODY_INTERFACES", "*"))
c2s_interfaces = interfaces
component_interfaces = interfaces

-- No certificate in the image: clients log in without TLS. Put a reverse proxy or certificates
-- (certificates = "/etc/prosody/certs", mounted) in front before exposing it beyond a test box.
c2s_require_encryption = false
allow_unencrypted_plain_auth = true
local auth = env("PROSODY_AUTH", "internal_hashed")
authentication = auth
if auth == "insecure" then
	insecure_open_authentication = "Yes please, I know what I'm doing!"
end
allow_registration = false

VirtualHost(domain)

-- mucd serves this domain. An external component: no "muc" module, so Prosody's own MUC does not
-- answer for it; the secret is the one mucd is given.
-- mod_mucd_fanout lets mucd hand Prosody each broadcast once, not one copy per occupant.
Component(muc_domain)
	component_secret = secret
	modules_enabled = { "mucd_fanout" }
