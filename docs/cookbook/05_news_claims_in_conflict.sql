-- question: Which figures stated in news articles disagree with the data (conflicts first, then those only within tolerance), and by how much?
select r.status,
       r."check",
       r.province_name,
       r.as_of_date,
       r.metric,
       r.claimed_value,
       r.reference_value,
       r.difference,
       round(100 * r.relative_difference, 1) as pct_off,
       r.compared_period,
       r.compared_source,
       r.evidence,
       a.title,
       a.url,
       r.explanation
from marts.mart_claim_reconciliation r
join marts.dim_news_article a using (article_id)
where r.status in ('conflict', 'within_tolerance')
order by r.status = 'conflict' desc, abs(r.relative_difference) desc nulls last;
