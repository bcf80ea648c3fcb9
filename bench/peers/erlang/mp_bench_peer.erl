%% Erlang/OTP, the model the kit teaches, running the benchmark's four workloads with the
%% same message shapes as every other peer: maps with a `type` key (Erlang's object), never
%% bare integers. The Node side (erlang.ts) starts one `erl +S 1` and sends it one command per
%% line; each answer is one line:
%%   run ping-pong RoundTrips            -> ok Result Detail WallMicros CpuMicros
%%   run thread-ring Actors Hops
%%   run counting Messages
%%   run fan-out Workers Rounds
%%   version                              -> version OtpRelease
%% Processes are spawned and wired before the clock starts (as in every peer); the timed part
%% is the message traffic until the final actor reports. CPU time is the emulator's own
%% (statistics(runtime): all of its threads), the check on a busy machine.
-module(mp_bench_peer).
-export([main/0]).

main() ->
    loop().

loop() ->
    case io:get_line('') of
        eof -> halt(0);
        {error, _} -> halt(1);
        Line ->
            Words = string:lexemes(string:trim(Line), " "),
            io:put_chars([answer(Words), $\n]),
            loop()
    end.

answer(["version"]) ->
    ["version ", erlang:system_info(otp_release)];
answer(["run", Workload | Args]) ->
    Ints = [list_to_integer(A) || A <- Args],
    try timed(Workload, Ints) of
        {Result, Detail, Wall, Cpu} ->
            io_lib:format("ok ~b ~b ~b ~b", [Result, Detail, Wall, Cpu])
    catch
        Class:Reason -> io_lib:format("error ~p:~p", [Class, Reason])
    end;
answer(Other) ->
    io_lib:format("error unknown command ~p", [Other]).

%% Builds the workload's processes, then times Kick() until the report arrives.
timed(Workload, Args) ->
    Self = self(),
    {Kick, Pids} = build(Workload, Args, Self),
    garbage_collect(),
    Cpu0 = cpu_micros(),
    T0 = erlang:monotonic_time(microsecond),
    Kick(),
    receive
        {report, Result, Detail} ->
            Wall = erlang:monotonic_time(microsecond) - T0,
            Cpu = cpu_micros() - Cpu0,
            [exit(P, kill) || P <- Pids],
            {Result, Detail, Wall, Cpu}
    after 60000 ->
        [exit(P, kill) || P <- Pids],
        error(timeout)
    end.

%% statistics(runtime) counts whole milliseconds: enough for timed runs of about 150 ms.
cpu_micros() ->
    {Total, _} = statistics(runtime),
    Total * 1000.

build("ping-pong", [RoundTrips], Report) ->
    Ponger = spawn(fun ponger/0),
    Pinger = spawn(fun() -> pinger(Ponger, RoundTrips, Report) end),
    {fun() -> Pinger ! #{type => start} end, [Ponger, Pinger]};
build("thread-ring", [Actors, Hops], Report) ->
    Members = [spawn(fun() -> member(I, Hops, Report) end) || I <- lists:seq(0, Actors - 1)],
    Nexts = tl(Members) ++ [hd(Members)],
    [M ! #{type => next, next => N} || {M, N} <- lists:zip(Members, Nexts)],
    sync(Members),
    First = hd(Members),
    {fun() -> First ! #{type => token, hop => 0} end, Members};
build("counting", [Messages], Report) ->
    Counter = spawn(fun() -> counter(0) end),
    Producer = spawn(fun() -> producer(Counter, Messages, Report) end),
    {fun() -> Producer ! #{type => start} end, [Counter, Producer]};
build("fan-out", [Workers, Rounds], Report) ->
    Pool = [spawn(fun worker/0) || _ <- lists:seq(1, Workers)],
    Master = spawn(fun() -> master(Pool, Workers, Rounds, Report) end),
    {fun() -> Master ! #{type => start} end, [Master | Pool]}.

%% Waits until every member has taken its `next` (the wiring is not timed).
sync(Pids) ->
    [P ! {sync, self()} || P <- Pids],
    [receive {synced, P} -> ok end || P <- Pids],
    ok.

ponger() ->
    receive
        #{type := ping, n := N, reply_to := To} ->
            To ! #{type => pong, n => N},
            ponger()
    end.

pinger(Ponger, RoundTrips, Report) ->
    receive
        #{type := start} ->
            Ponger ! #{type => ping, n => 1, reply_to => self()},
            pinger(Ponger, RoundTrips, Report);
        #{type := pong, n := N} when N < RoundTrips ->
            Ponger ! #{type => ping, n => N + 1, reply_to => self()},
            pinger(Ponger, RoundTrips, Report);
        #{type := pong, n := N} ->
            Report ! {report, N, 0}
    end.

member(Index, Hops, Report) ->
    receive
        #{type := next, next := Next} -> member(Index, Hops, Report, Next)
    end.
member(Index, Hops, Report, Next) ->
    receive
        {sync, From} ->
            From ! {synced, self()},
            member(Index, Hops, Report, Next);
        #{type := token, hop := Hops} ->
            Report ! {report, Hops, Index};
        #{type := token, hop := Hop} ->
            Next ! #{type => token, hop => Hop + 1},
            member(Index, Hops, Report, Next)
    end.

counter(Count) ->
    receive
        #{type := inc} -> counter(Count + 1);
        #{type := get, reply_to := To} -> To ! #{type => count, n => Count}
    end.

producer(Counter, Messages, Report) ->
    receive
        #{type := start} ->
            send_incs(Counter, Messages),
            Counter ! #{type => get, reply_to => self()},
            receive
                #{type := count, n := N} -> Report ! {report, N, 0}
            end
    end.

send_incs(_, 0) -> ok;
send_incs(Counter, K) ->
    Counter ! #{type => inc},
    send_incs(Counter, K - 1).

worker() ->
    receive
        #{type := job, round := Round, n := N, reply_to := To} ->
            To ! #{type => done, round => Round, n => N * 2},
            worker()
    end.

master(Pool, Workers, Rounds, Report) ->
    receive
        #{type := start} -> rounds(Pool, Workers, Rounds, 0, 0, 0, Report)
    end.

rounds(_Pool, _Workers, Rounds, Rounds, Replies, Sum, Report) ->
    Report ! {report, Replies, Sum};
rounds(Pool, Workers, Rounds, Round, Replies, Sum, Report) ->
    Self = self(),
    lists:foldl(fun(P, I) -> P ! #{type => job, round => Round, n => I, reply_to => Self}, I + 1 end, 0, Pool),
    {R, S} = collect(Round, Workers, Replies, Sum),
    rounds(Pool, Workers, Rounds, Round + 1, R, S, Report).

collect(_Round, 0, Replies, Sum) -> {Replies, Sum};
collect(Round, Pending, Replies, Sum) ->
    receive
        #{type := done, round := Round, n := N} -> collect(Round, Pending - 1, Replies + 1, Sum + N)
    end.
