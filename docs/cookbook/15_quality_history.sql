-- question: How did the data quality checks (Great Expectations) go in each refresh: expectations run and failed per suite, newest run first?
select run_id,
       suite,
       "table",
       min(validated_at) as validated_at,
       count(*) as expectations,
       count(*) filter (where not success) as failed,
       count(*) filter (where not success and severity = 'error') as failed_blocking,
       coalesce(string_agg(expectation_name, ', ' order by expectation_name) filter (where not success), '') as failed_expectations
from audit.quality_results
group by run_id, suite, "table"
order by validated_at desc, suite;
