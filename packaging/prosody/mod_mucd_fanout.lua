-- mod_mucd_fanout: lets mucd hand Prosody one stanza for many recipients.
--
-- mucd (a Multi-User Chat service running as an XEP-0114 component) sends a room's message or
-- presence to every occupant, the same stanza each time except for its 'to'. Over a plain
-- component connection that is one copy per occupant, each one parsed again by Prosody. With
-- this module loaded on mucd's Component, mucd sends the stanza once, addressed to its own
-- domain, with the recipients listed in a <fanout xmlns='urn:mucd:fanout:0'/> child (one JID per
-- line); the module removes that child and routes one copy per listed JID, the way Prosody's
-- own MUC routes its broadcasts. Recipients see exactly what the component would have sent them.
--
-- A joiner gets one presence per occupant already in the room, each different, which fan-out
-- cannot share. mucd then sends such a run of stanzas for one recipient as one <message/> to its
-- own domain: an empty <bundle xmlns='urn:mucd:fanout:0'/> followed by the stanzas, each with
-- its own 'to' and a 'from' at the component's domain; the module routes them in order, so
-- Prosody processes one incoming stanza instead of one per occupant.
--
-- In a room of N, each joiner's list repeats N presences Prosody has already parsed when it
-- routed each occupant's own join. So the module keeps up to mucd_store_slots (4096) stanzas for
-- mucd: a fan-out presence whose <fanout/> carries store='S' generation='G' is kept in slot S
-- once routed, and a bundle may then hold <copy xmlns='urn:mucd:fanout:0' slot='S'
-- generation='G' to='...'/>, which the module routes as the kept stanza addressed to 'to': the
-- stanza mucd would have sent. mucd decides what goes where; the module only checks that each
-- copy names what it holds, and hands a bundle that names anything else (after a reload of the
-- module) back to mucd unrouted, which then sends those stanzas itself.
--
-- Only the component itself may use it: a <fanout/> from anywhere else is left alone (mucd then
-- gets it like any stanza addressed to its domain). mucd asks whether the module is there after
-- each connection (an iq get with <query xmlns='urn:mucd:fanout:0'/> to its own domain) and falls
-- back to one copy per recipient when the question comes back to it unanswered.
--
-- Load it on the component, not globally:
--     plugin_paths = { "/usr/share/mucd/prosody" }
--     Component "conference.example.org"
--         component_secret = "..."
--         modules_enabled = { "mucd_fanout" }
--         -- optional: mucd_read_size = 256 * 1024 (bytes read from mucd at once; 0: Prosody's
--         -- default), mucd_store_slots = 4096 (presences kept for mucd; 0: none)

local st = require "util.stanza";

local xmlns_fanout = "urn:mucd:fanout:0";
local host = module.host;

-- Kept stanzas: slot number -> stanza, and the generation mucd gave it (as written).
local store_slots = math.max(0, math.floor(module:get_option_number("mucd_store_slots", 4096)));
local kept, kept_generation = {}, {};

local function keep(slot_text, generation, stanza)
	local slot = tonumber(slot_text);
	if not slot or slot < 0 or slot >= store_slots or slot % 1 ~= 0 or not generation then
		module:log("warn", "Not keeping a stanza for slot %q: outside this module's %d slots",
			tostring(slot_text), store_slots);
		return;
	end
	kept[slot], kept_generation[slot] = stanza, generation;
end

-- The kept stanza a <copy/> names, or nil.
local function kept_copy(copy)
	local slot = tonumber(copy.attr.slot);
	if slot and kept_generation[slot] == copy.attr.generation and copy.attr.to then
		return kept[slot];
	end
end

-- Stanzas from the component connection itself (or from modules on this host).
local function from_component(origin)
	return origin.type == "component" and origin.host == host;
end

local function expand(event)
	local origin, stanza = event.origin, event.stanza;
	local list = stanza:get_child("fanout", xmlns_fanout);
	if not list or not from_component(origin) then return; end
	stanza:remove_children("fanout", xmlns_fanout);
	local to = stanza.attr.to;
	-- Like mod_muc's route_to_occupant: the same stanza object, re-addressed for each recipient;
	-- every route serializes (or copies) it before the next one changes 'to'.
	for jid in list:get_text():gmatch("[^\n]+") do
		stanza.attr.to = jid;
		module:send(stanza);
	end
	stanza.attr.to = to;
	if list.attr.store then
		keep(list.attr.store, list.attr.generation, stanza);
	end
	return true;
end

local jid_host = require "util.jid".host;

-- The children after the <bundle/> marker: stanzas of the component for one recipient, and
-- copies of kept ones.
local function unbundle(stanza)
	for _, child in ipairs(stanza.tags) do
		if child.name == "copy" and child.attr.xmlns == xmlns_fanout and not kept_copy(child) then
			module:log("warn", "A bundle names kept stanza %s (generation %s), which this module "
				.. "does not hold (was it reloaded?): handing the bundle back to the component",
				tostring(child.attr.slot), tostring(child.attr.generation));
			return; -- mod_component delivers it to mucd
		end
	end
	for _, child in ipairs(stanza.tags) do
		if child.attr.xmlns == xmlns_fanout and child.name == "copy" then
			local kept_stanza = kept_copy(child);
			kept_stanza.attr.to = child.attr.to;
			module:send(kept_stanza);
			kept_stanza.attr.to = host;
		elseif child.attr.xmlns == nil then
			if child.attr.to and jid_host(child.attr.from) == host then
				module:send(child);
			else
				module:log("warn", "Not routing a bundled <%s/> without 'to' or from outside %s", child.name, host);
			end
		end
	end
	return true;
end

local function expand_message(event)
	local stanza = event.stanza;
	if stanza:get_child("bundle", xmlns_fanout) and from_component(event.origin) then
		return unbundle(stanza);
	end
	return expand(event);
end

-- Prosody reads a connection network_default_read_size bytes (4 KiB) at a time, and when more
-- is waiting it reads the next chunk only after a timer tick (1 ms) of its event loop: at most a
-- few MB/s from one connection. The component's stream carries every room's traffic; mucd's
-- question (asked after each connection) is where the module makes that connection read more at
-- once.
local read_size = module:get_option_number("mucd_read_size", 256 * 1024);

local function answer_probe(event)
	local origin, stanza = event.origin, event.stanza;
	if stanza.attr.type ~= "get" or not from_component(origin) then return; end
	local query = stanza.tags[1];
	if not query or query.name ~= "query" or query.attr.xmlns ~= xmlns_fanout then return; end
	if origin.conn and origin.conn.set_mode and read_size > 0 then
		origin.conn:set_mode(read_size);
	end
	-- A new session of mucd's: what the last one had kept is of no use.
	kept, kept_generation = {}, {};
	-- <bundle/>: this module also routes bundles; <store/>: and keeps stanzas for copies.
	local answer = st.reply(stanza):tag("query", { xmlns = xmlns_fanout }):tag("bundle"):up();
	if store_slots > 0 then
		answer:tag("store", { slots = ("%d"):format(store_slots) });
	end
	origin.send(answer);
	return true;
end

-- Before mod_component (priority -1), which would hand these to the component.
module:hook("message/host", expand_message, 10);
module:hook("presence/host", expand, 10);
module:hook("iq/host", answer_probe, 10);
