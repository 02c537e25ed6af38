using AgentSystem.Load.Reports;
using static AgentSystem.Load.Tests.Fixtures;

namespace AgentSystem.Load.Tests;

/// <summary>The goals, judged from a run's summaries.</summary>
public sealed class GoalsTests
{
    [Fact]
    public void The_gateway_goal_names_the_connections_the_maximum_was_measured_with()
    {
        var max = ScenarioSummary.From(Result("http", 2_100, [20]), ReferenceSummary.None);
        var atRate = ScenarioSummary.From(Result("http-at-rate", 1_050, [60]) with { TargetRate = 1_050 }, ReferenceSummary.None);

        var goals = Goals.Evaluate([max, atRate], ReferenceSummary.None, new LoadOptions { Connections = 24 });

        Assert.Collection(goals,
            rate => Assert.Equal(("through the gateway, tasks of 5 jobs, 24 connections", "2,100 tasks/s", true), (rate.Name, rate.Achieved, rate.Met)),
            tail => Assert.Equal(("p99 through the gateway at 1,050 tasks/s (half the maximum)", false), (tail.Name, tail.Met)));
        // Beside the starting figures (helper-61: the 430 jobs/s was in no report).
        Assert.Equal(["288 tasks/s (wrk, 16 connections)", "762 ms (wrk at its maximum, 16 connections)"], goals.Select(goal => goal.Before));
        var table = ReportTables.Goals(SummaryOf() with { Goals = goals });
        Assert.Equal("Starting point", table.Headers[^1]);
        Assert.StartsWith("Starting point: what the system did before the queue path was made fast", table.Note, StringComparison.Ordinal);
    }

    [Fact]
    public void End_to_end_goals_are_judged_on_the_maximum_and_the_tail_at_half_of_it()
    {
        var max = ScenarioSummary.From(Result("queue-e2e", 24_999, [50]), ReferenceSummary.None);
        var atRate = ScenarioSummary.From(Result("queue-e2e-at-rate", 12_500, [9.9]) with { TargetRate = 12_500 }, ReferenceSummary.None);

        var goals = Goals.Evaluate([max, atRate], ReferenceSummary.None, new LoadOptions());

        Assert.Equal([false, true], goals.Select(goal => goal.Met));
    }

    [Fact]
    public void A_tail_goal_is_not_judged_at_a_rate_the_user_asked_for()
    {
        var max = ScenarioSummary.From(Result("queue-e2e", 30_000, [50]), ReferenceSummary.None);
        var atRate = ScenarioSummary.From(Result("queue-e2e-at-rate", 15_000, [4]) with { TargetRate = 15_000 }, ReferenceSummary.None);

        var goals = Goals.Evaluate([max, atRate], ReferenceSummary.None, new LoadOptions { Rate = 15_000 });

        Assert.Equal(("p99 enqueue to stored result at half the maximum", "not measured: the phase ran at --rate 15,000 jobs/s", null),
            (goals[1].Name, goals[1].Achieved, goals[1].Met));
    }

    [Fact]
    public void Only_the_scenarios_that_ran_have_goals_and_enqueue_is_judged_against_its_reference()
    {
        var reference = new ReferenceSummary([new ReferenceResult("redis-benchmark enqueue script -P1", "EVALSHA", 50, 1, 40_000, 1, 2)], []);
        var enqueue = ScenarioSummary.From(Result("enqueue", 20_000, [1], reference: "redis-benchmark enqueue script -P1"), reference);

        var goal = Assert.Single(Goals.Evaluate([enqueue], reference, new LoadOptions()));

        Assert.Equal(("enqueue vs redis-benchmark (enqueue script, 50 clients each, -P1)", "0.50 (20,000 jobs/s)", false), (goal.Name, goal.Achieved, goal.Met));
    }
}
