-- question: Which version of the warehouse am I reading, and when was it published?
select release_id, run_id, published_at
from meta.release;
