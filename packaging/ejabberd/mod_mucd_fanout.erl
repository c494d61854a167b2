%% mod_mucd_fanout: lets mucd hand ejabberd one stanza for many recipients.
%%
%% The ejabberd counterpart of packaging/prosody/mod_mucd_fanout.lua (README.md, "Host fan-out").
%% mucd, an XEP-0114 component, sends a room's message or presence once, addressed to its own
%% domain, with the recipients listed one JID per line in a
%% <fanout xmlns='urn:mucd:fanout:0'/> child; this module removes the child and routes one copy
%% per recipient (see below). It also answers mucd's question
%% (<iq type='get'><query xmlns='urn:mucd:fanout:0'/></iq> to its own domain).
%%
%% A joiner's occupant list is mostly presences the server already routed when each occupant
%% joined. The module keeps up to store_slots of them for mucd (option, default 4096; 0 keeps
%% none; its answer says <store slots='N'/>): a fan-out presence whose <fanout/> carries
%% store='S' generation='G' is kept once routed, and the joiner's list then comes as one
%% <message/> to the domain holding an empty <bundle xmlns='urn:mucd:fanout:0'/> followed by
%% stanzas (each with its own 'to' and a 'from' at the domain) and
%% <copy xmlns='urn:mucd:fanout:0' slot='S' generation='G' to='...'/> elements, each routed as
%% the kept stanza addressed to 'to', in order. A bundle naming a
%% stanza the module does not hold is handed to mucd unrouted (mucd then sends it itself).
%% Kept stanzas live in an ETS table of the component's connection process (where this hook
%% runs), prepared JIDs and session processes in its process dictionary: a new connection starts
%% with none.
%%
%% Only a component can use it: the module sees only what components send (the
%% component_send_packet hook, run in the component's connection process before ejabberd routes
%% the stanza), and the stanza must come from the very domain it is addressed to, a route of the
%% component's own (an ejabberd_service domain), not one of ejabberd's virtual hosts.
%%
%% Per copy of a message, or of a presence available or unavailable, it does what ejabberd's
%% router does for such a stanza to a user's session (the filter_packet and sm_receive_packet
%% hooks run on it, then the session's process gets it), without the lookups the router repeats
%% for every copy: a recipient's JID is prepared, and its session's process found, once per
%% connection (mucd names the same occupants in fan-out after fan-out), the process checked alive
%% before each copy and looked up again when it is not. Anything else (other stanzas, no session,
%% a session on another node of a cluster, a JID of another server, a hook that readdresses the
%% copy) goes through ejabberd_router:route; an exception on the way is logged and the next copy
%% goes on, as the router does with one.
%% Where it differs from the router: a session that has closed but whose process has not yet
%% exited still gets copies. Such a process hands what reaches it to the router as it ends
%% (ejabberd_c2s's bounce_message_queue, until nothing has come for 100 ms), so a copy is lost
%% only if it arrives after that and before the process exits, where the router would have
%% bounced it; and while a session is replaced or resumed (stream management) copies may go
%% through the old process, later, meeting the hooks again there. mucd stops sending to an
%% occupant once the departure reaches it, which ends both windows.
%% The copies it routes do not pass through it again.
%%
%% Build and load (Debian's ejabberd 23.01; erlc is in erlang-base):
%%     erlc -I /usr/lib/erlang/lib/p1_xmpp-*/include -pa EJABBERD_EBIN -o DIR mod_mucd_fanout.erl
%%     ejabberd started with DIR on its code path (ERL_LIBS, or `erl -pa DIR`), and in ejabberd.yml:
%%     modules:
%%       mod_mucd_fanout: {}
-module(mod_mucd_fanout).

-behaviour(gen_mod).

-export([start/2, stop/1, reload/3, depends/2, mod_opt_type/1, mod_options/1, mod_doc/0]).
-export([component_send_packet/1]).

-include("xmpp.hrl").  % p1_xmpp's include folder: erlc -I .../p1_xmpp-*/include

-define(NS_FANOUT, <<"urn:mucd:fanout:0">>).
-define(NS_STREAM_DEFAULT, <<"jabber:component:accept">>).
%% Prepared recipient JIDs and their sessions' processes kept per connection; all are forgotten
%% when there would be more.
-define(JID_CACHE_MAX, 16384).

start(_Host, _Opts) ->
    %% component_send_packet is a global hook: every stanza a component sends passes through it.
    ejabberd_hooks:add(component_send_packet, ?MODULE, component_send_packet, 10),
    ok.

stop(_Host) ->
    case gen_mod:is_loaded_elsewhere(undefined, ?MODULE) of
        true -> ok;
        false -> ejabberd_hooks:delete(component_send_packet, ?MODULE, component_send_packet, 10)
    end,
    ok.

reload(_Host, _NewOpts, _OldOpts) ->
    ok.

depends(_Host, _Opts) ->
    [].

mod_opt_type(store_slots) ->
    econf:non_neg_int().

mod_options(_Host) ->
    [{store_slots, 4096}].

mod_doc() ->
    #{desc => ["Expands mucd's fan-out stanzas (see mucd's README, \"Host fan-out\")."],
      opts => [{store_slots,
                #{value => "Number",
                  desc => ["Presences kept per connection for mucd's occupant lists "
                           "(default 4096; 0 keeps none)."]}}]}.

component_send_packet({drop, _} = Acc) ->
    Acc;
component_send_packet({Packet, State}) ->
    case {xmpp:get_from(Packet), xmpp:get_to(Packet)} of
        {#jid{lserver = Domain}, #jid{luser = <<>>, lserver = Domain, lresource = <<>>}} ->
            case from_component(Domain) of
                true -> {handle(Packet), State};
                false -> {Packet, State}
            end;
        _ ->
            {Packet, State}
    end.

%% A domain ejabberd routes to something other than itself: an external component.
from_component(Domain) ->
    ejabberd_router:is_my_route(Domain) andalso not ejabberd_router:is_my_host(Domain).

handle(#iq{type = get, sub_els = [#xmlel{name = <<"query">>} = Query]} = Iq) ->
    case fxml:get_tag_attr_s(<<"xmlns">>, Query) of
        ?NS_FANOUT ->
            %% A new session of mucd's (or a question asked again): nothing kept is of use.
            Slots = store_slots(),
            reset_kept(Slots),
            Answer = Query#xmlel{children = [#xmlel{name = <<"bundle">>},
                                             #xmlel{name = <<"store">>,
                                                    attrs = [{<<"slots">>,
                                                              integer_to_binary(Slots)}]}]},
            ejabberd_router:route(xmpp:make_iq_result(Iq, Answer)),
            drop;
        _ ->
            Iq
    end;
handle(#iq{} = Iq) ->
    Iq;
handle(#message{from = #jid{lserver = Domain}} = Message) ->
    Els = xmpp:get_els(Message),
    case lists:any(fun(El) -> is_ours(<<"bundle">>, El) end, Els) of
        true -> unbundle(Domain, Message, Els);
        false -> expand(Message)
    end;
handle(Packet) ->
    expand(Packet).

expand(Packet) ->
    {Lists, Rest} = lists:partition(fun(El) -> is_ours(<<"fanout">>, El) end,
                                    xmpp:get_els(Packet)),
    case Lists of
        [List | _] ->
            Copy = xmpp:set_els(Packet, Rest),
            lists:foreach(fun(Line) -> copy_to(Copy, Line) end,
                          binary:split(fxml:get_tag_cdata(List), <<"\n">>, [global, trim_all])),
            keep(fxml:get_tag_attr_s(<<"store">>, List),
                 fxml:get_tag_attr_s(<<"generation">>, List), Copy),
            drop;
        [] ->
            Packet
    end.

is_ours(Name, #xmlel{name = Name} = El) ->
    fxml:get_tag_attr_s(<<"xmlns">>, El) == ?NS_FANOUT;
is_ours(_, _) ->
    false.

keep(<<>>, _, _) ->
    ok;
keep(SlotText, Generation, Packet) ->
    case get({?MODULE, kept}) of
        {Table, Slots} ->
            case catch binary_to_integer(SlotText) of
                Slot when is_integer(Slot), Slot >= 0, Slot < Slots ->
                    ets:insert(Table, {Slot, Generation, Packet});
                _ ->
                    ok
            end;
        undefined ->
            ok
    end.

%% Kept stanzas live in an ETS table of the connection process (created here, so deleted when
%% the connection ends), not in its heap: kept there (up to thousands of decoded presences, in
%% the one process every copy is routed from), they slowed the routing of every later copy, most
%% likely through that process's garbage collections (bench/README.md, "Kept presences off the
%% heap"). A copy used from the table is read into the heap and is garbage once routed.
reset_kept(Slots) ->
    case get({?MODULE, kept}) of
        {Table, _} -> ets:delete(Table);
        undefined -> ok
    end,
    %% What the module's earlier versions kept in the dictionary, should this code have been
    %% loaded under a live connection.
    [erase(Key) || {?MODULE, slot, _} = Key <- get_keys()],
    erase({?MODULE, slots}),
    case Slots of
        0 -> erase({?MODULE, kept});
        _ -> put({?MODULE, kept}, {ets:new(?MODULE, [set, private]), Slots})
    end,
    ok.

%% store_slots of a virtual host the module is loaded on (the component's domain is none).
store_slots() ->
    case [Host || Host <- ejabberd_option:hosts(), gen_mod:is_loaded(Host, ?MODULE)] of
        [Host | _] -> gen_mod:get_module_opt(Host, ?MODULE, store_slots);
        [] -> 0
    end.

%% The kept stanza a <copy/> names, addressed to its 'to' ({'to', stanza}); error if not held
%% (or 'to' is no JID).
kept_copy(El) ->
    Generation = fxml:get_tag_attr_s(<<"generation">>, El),
    Text = fxml:get_tag_attr_s(<<"to">>, El),
    try
        [{_, Generation, Packet}] = kept(binary_to_integer(fxml:get_tag_attr_s(<<"slot">>, El))),
        #jid{} = To = recipient(Text),
        {Text, xmpp:set_to(Packet, To)}
    catch
        _:_ -> error
    end.

kept(Slot) ->
    case get({?MODULE, kept}) of
        {Table, _} -> ets:lookup(Table, Slot);
        undefined -> []
    end.

%% The children after the <bundle/> marker, in order: stanzas of the component for one recipient,
%% and copies of kept ones. Handed back whole (to mucd) if a copy names what is not held.
unbundle(Domain, Message, Els) ->
    Routes = [bundled(Domain, El) || #xmlel{} = El <- Els, not is_ours(<<"bundle">>, El)],
    case lists:member(error, Routes) of
        true ->
            logger:warning("mod_mucd_fanout: a bundle from ~ts names a kept stanza this process "
                           "does not hold: handing it back", [Domain]),
            Message;
        false ->
            [deliver(Text, Packet) || {Text, Packet} <- Routes],
            drop
    end.

bundled(Domain, El) ->
    case is_ours(<<"copy">>, El) of
        true -> kept_copy(El);
        false -> decode_bundled(Domain, El)
    end.

%% A bundled stanza of the component ({'to', stanza}): routed if it has a 'to' and comes from
%% the domain.
decode_bundled(Domain, El) ->
    try xmpp:decode(El, ?NS_STREAM_DEFAULT, [ignore_els]) of
        Packet ->
            case {xmpp:get_from(Packet), xmpp:get_to(Packet)} of
                {#jid{lserver = Domain}, #jid{}} -> {fxml:get_tag_attr_s(<<"to">>, El), Packet};
                _ -> skip
            end
    catch
        _:_ -> skip
    end.

copy_to(Packet, Text) ->
    case recipient(Text) of
        #jid{} = To -> deliver(Text, xmpp:set_to(Packet, To));
        error -> ok  % mucd sends only JIDs it got from the server; skip anything else
    end.

%% Routes a copy addressed to the JID Text names: to the session's process as ejabberd_sm would
%% (after the hooks ejabberd_router and ejabberd_sm run), or through the router. Nothing raised
%% on the way leaves: like ejabberd_router:route, it logs and goes on with the next copy.
deliver(Text, Packet) ->
    try
        case direct(Packet) andalso session(Text, xmpp:get_to(Packet)) of
            Pid when is_pid(Pid) -> to_session(Pid, Packet);
            _ -> ejabberd_router:route(Packet)
        end
    catch
        Class:Reason:Stack ->
            logger:error("mod_mucd_fanout: failed to route a copy to ~ts: ~ts",
                         [Text, misc:format_exception(2, Class, Reason, Stack)])
    end.

%% What ejabberd_sm routes to a full JID's session as it is (not subscriptions, not IQs).
direct(#message{}) -> true;
direct(#presence{type = available}) -> true;
direct(#presence{type = unavailable}) -> true;
direct(_) -> false.

%% What ejabberd_router (filter_packet) and ejabberd_sm (sm_receive_packet) do before handing a
%% stanza to a session's process. A copy a hook readdresses is routed (and meets the hooks again,
%% where the router would not run them twice; no hook of ejabberd 23.01 readdresses).
to_session(Pid, Packet) ->
    To = xmpp:get_to(Packet),
    case ejabberd_hooks:run_fold(filter_packet, Packet, []) of
        drop ->
            ok;
        Filtered ->
            case addressed_to(Filtered, To) of
                true -> received(Pid, To, Filtered);
                false -> ejabberd_router:route(Filtered)
            end
    end.

received(Pid, #jid{lserver = Server} = To, Packet) ->
    case ejabberd_hooks:run_fold(sm_receive_packet, Server, Packet, []) of
        drop ->
            ok;
        Received ->
            case addressed_to(Received, To) of
                true -> ejabberd_c2s:route(Pid, {route, Received});
                false -> ejabberd_router:route(Received)
            end
    end.

addressed_to(Packet, To) ->
    xmpp:get_to(Packet) =:= To.

%% The process of the session of the full JID Text names (To, prepared) on this node, if any.
session(Text, #jid{luser = User, lserver = Server, lresource = Resource} = To)
  when User /= <<>>, Resource /= <<>> ->
    case get({?MODULE, session, Text}) of
        undefined ->
            case ejabberd_router:is_my_host(Server)
                 andalso ejabberd_sm:get_session_pid(User, Server, Resource) of
                Pid when is_pid(Pid), node(Pid) == node() ->
                    count_cached(),
                    put({?MODULE, session, Text}, Pid),
                    Pid;
                _ ->
                    none
            end;
        Pid ->
            case is_process_alive(Pid) of
                true ->
                    Pid;
                false ->
                    erase({?MODULE, session, Text}),
                    session(Text, To)
            end
    end;
session(_, _) ->
    none.

%% The prepared JID of a line of the list, from the process dictionary of the connection process
%% (where this hook runs) once it has been prepared there.
recipient(Text) ->
    case get({?MODULE, jid, Text}) of
        undefined ->
            To = try jid:decode(Text) catch _:_ -> error end,
            remember(Text, To),
            To;
        To ->
            To
    end.

remember(Text, To) ->
    count_cached(),
    put({?MODULE, jid, Text}, To).

count_cached() ->
    Count = case get({?MODULE, jids}) of
                undefined -> 0;
                N when N >= ?JID_CACHE_MAX -> forget_jids(), 0;
                N -> N
            end,
    put({?MODULE, jids}, Count + 1).

forget_jids() ->
    [erase(Key) || {?MODULE, Kind, _} = Key <- get_keys(), Kind == jid orelse Kind == session],
    ok.
