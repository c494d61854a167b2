%% A test module for test_host_fanout.py (loaded only by the test harness): hooks that drop or
%% change copies from the MUC domain by a marker in their text, on the two hooks ejabberd runs
%% on a stanza routed to a user's session: filter_packet (the router, global) and
%% sm_receive_packet (the session manager, per host). What mod_mucd_fanout routes must meet them
%% as every routed stanza does.
%%   "drop-in-filter"  filter_packet drops the copy
%%   "drop-in-sm"      sm_receive_packet drops the copy
%%   "mark-in-sm"      sm_receive_packet adds <marked xmlns='urn:mucd:test'/> to the copy
%%   "raise-for-bob"   sm_receive_packet exits on the copy to user bob (exit(normal), the one
%%                     exception ejabberd_hooks lets through; ejabberd_router:route catches it)
-module(mod_mucd_test_hooks).

-behaviour(gen_mod).

-export([start/2, stop/1, reload/3, depends/2, mod_options/1, mod_doc/0]).
-export([filter_packet/1, sm_receive_packet/1]).

-include("xmpp.hrl").

-define(MUC_DOMAIN, <<"conference.localhost">>).

start(Host, _Opts) ->
    ejabberd_hooks:add(filter_packet, ?MODULE, filter_packet, 50),
    ejabberd_hooks:add(sm_receive_packet, Host, ?MODULE, sm_receive_packet, 50),
    ok.

stop(Host) ->
    ejabberd_hooks:delete(filter_packet, ?MODULE, filter_packet, 50),
    ejabberd_hooks:delete(sm_receive_packet, Host, ?MODULE, sm_receive_packet, 50),
    ok.

reload(_Host, _NewOpts, _OldOpts) -> ok.
depends(_Host, _Opts) -> [].
mod_options(_Host) -> [].
mod_doc() -> #{desc => ["mucd's tests only."]}.

filter_packet(Packet) ->
    case from_muc_with(Packet, <<"drop-in-filter">>) of
        true -> drop;
        false -> Packet
    end.

sm_receive_packet(#message{to = #jid{luser = <<"bob">>}} = Packet) ->
    case from_muc_with(Packet, <<"raise-for-bob">>) of
        true -> exit(normal);
        false -> sm_receive(Packet)
    end;
sm_receive_packet(Packet) ->
    sm_receive(Packet).

sm_receive(Packet) ->
    case {from_muc_with(Packet, <<"drop-in-sm">>), from_muc_with(Packet, <<"mark-in-sm">>)} of
        {true, _} -> drop;
        {_, true} -> xmpp:append_subtags(Packet, [#xmlel{name = <<"marked">>,
                                                         attrs = [{<<"xmlns">>, <<"urn:mucd:test">>}]}]);
        _ -> Packet
    end.

from_muc_with(#message{from = #jid{lserver = ?MUC_DOMAIN}} = Packet, Marker) ->
    binary:match(fxml:element_to_binary(xmpp:encode(Packet)), Marker) /= nomatch;
from_muc_with(_, _) ->
    false.
