%% mod_mucd_fanout: lets mucd hand ejabberd one stanza for many recipients.
%%
%% The ejabberd counterpart of packaging/prosody/mod_mucd_fanout.lua (README.md, "Host fan-out").
%% mucd, an XEP-0114 component, sends a room's message or presence once, addressed to its own
%% domain, with the recipients listed one JID per line in a
%% <fanout xmlns='urn:mucd:fanout:0'/> child; this module removes the child and routes one copy
%% per recipient, as mod_muc routes its broadcasts. It also answers mucd's question
%% (<iq type='get'><query xmlns='urn:mucd:fanout:0'/></iq> to its own domain).
%%
%% Only a component can use it: the stanza must come from the very domain it is addressed to,
%% and that domain must be a route of its own (an ejabberd_service domain), not one of
%% ejabberd's virtual hosts; only the component itself can send from such a domain.
%%
%% Build and load (Debian's ejabberd 23.01; erlc is in erlang-base):
%%     erlc -I /usr/lib/erlang/lib/p1_xmpp-*/include -pa EJABBERD_EBIN -o DIR mod_mucd_fanout.erl
%%     ejabberd started with DIR on its code path (ERL_LIBS, or `erl -pa DIR`), and in ejabberd.yml:
%%     modules:
%%       mod_mucd_fanout: {}
-module(mod_mucd_fanout).

-behaviour(gen_mod).

-export([start/2, stop/1, reload/3, depends/2, mod_options/1, mod_doc/0]).
-export([filter_packet/1]).

-include("xmpp.hrl").  % p1_xmpp's include folder: erlc -I .../p1_xmpp-*/include

-define(NS_FANOUT, <<"urn:mucd:fanout:0">>).

start(_Host, _Opts) ->
    %% filter_packet is a global hook: every routed stanza passes through it.
    ejabberd_hooks:add(filter_packet, ?MODULE, filter_packet, 10),
    ok.

stop(_Host) ->
    case gen_mod:is_loaded_elsewhere(undefined, ?MODULE) of
        true -> ok;
        false -> ejabberd_hooks:delete(filter_packet, ?MODULE, filter_packet, 10)
    end,
    ok.

reload(_Host, _NewOpts, _OldOpts) ->
    ok.

depends(_Host, _Opts) ->
    [].

mod_options(_Host) ->
    [].

mod_doc() ->
    #{desc => ["Expands mucd's fan-out stanzas (see mucd's README, \"Host fan-out\")."]}.

filter_packet(drop) ->
    drop;
filter_packet(Packet) ->
    case {xmpp:get_from(Packet), xmpp:get_to(Packet)} of
        {#jid{lserver = Domain}, #jid{luser = <<>>, lserver = Domain, lresource = <<>>}} ->
            case from_component(Domain) of
                true -> handle(Packet);
                false -> Packet
            end;
        _ ->
            Packet
    end.

%% A domain ejabberd routes to something other than itself: an external component.
from_component(Domain) ->
    ejabberd_router:is_my_route(Domain) andalso not ejabberd_router:is_my_host(Domain).

handle(#iq{type = get, sub_els = [#xmlel{name = <<"query">>} = Query]} = Iq) ->
    case fxml:get_tag_attr_s(<<"xmlns">>, Query) of
        ?NS_FANOUT ->
            ejabberd_router:route(xmpp:make_iq_result(Iq, Query)),
            drop;
        _ ->
            Iq
    end;
handle(#iq{} = Iq) ->
    Iq;
handle(Packet) ->
    {Lists, Rest} = lists:partition(fun is_fanout/1, xmpp:get_els(Packet)),
    case Lists of
        [List | _] ->
            Copy = xmpp:set_els(Packet, Rest),
            lists:foreach(fun(Line) -> route_copy(Copy, Line) end,
                          binary:split(fxml:get_tag_cdata(List), <<"\n">>, [global, trim_all])),
            drop;
        [] ->
            Packet
    end.

is_fanout(#xmlel{name = <<"fanout">>} = El) ->
    fxml:get_tag_attr_s(<<"xmlns">>, El) == ?NS_FANOUT;
is_fanout(_) ->
    false.

route_copy(Packet, Text) ->
    try jid:decode(Text) of
        To -> ejabberd_router:route(xmpp:set_to(Packet, To))
    catch
        _:_ -> ok  % mucd sends only JIDs it got from the server; skip anything else
    end.
