{#- Currency conversion exactly as CONTRACTS.md §5 defines it:
    convert(amount, CUR, day) = round(amount * rate(R, day) / rate(CUR, day), 2), half away from zero.
    Decimal division in DuckDB goes through DOUBLE, which can land a half-cent tie on the wrong
    side, so the division is done on integers: amounts in 1e-12 units, rates scaled by 1e8. -#}

{% macro fx_rate_scale() %}100000000{% endmacro %}

{#- The scaled integer form of a rate (decimal string with at most 8 decimals). -#}
{% macro fx_rate_scaled(expr) -%}
  cast({{ to_decimal(expr, 18, 8) }} * {{ fx_rate_scale() }} as bigint)
{%- endmacro %}

{#- `amount` (exact decimal, at most 12 decimals) converted with the scaled rates of the reporting
    currency (`rate_to`) and of the amount's currency (`rate_from`); null when a rate is missing.
    The amount goes to 1e-12 units: n = amount * 1e12 * rate_to, d = rate_from * 1e10 (-> cents). -#}
{% macro fx_convert(amount, rate_to, rate_from) -%}
  cast(
    cast(
      {{ round_div_half_away(
           exact_integer('cast(' ~ amount ~ ' as decimal(38, 12)) * 1000000000000') ~ ' * ' ~ rate_to,
           exact_integer(rate_from) ~ ' * 10000000000'
      ) }} as decimal(38, 0)
    ) * 0.01 as decimal(18, 2)
  )
{%- endmacro %}

{#- An integral expression as the widest exact integer type of the warehouse. -#}
{% macro exact_integer(expr) -%}
  {{ return(adapter.dispatch('exact_integer', 'hub')(expr)) }}
{%- endmacro %}

{% macro duckdb__exact_integer(expr) -%}
  cast({{ expr }} as hugeint)
{%- endmacro %}

{% macro postgres__exact_integer(expr) -%}
  cast({{ expr }} as numeric)
{%- endmacro %}

{#- Integer quotient n / d (d > 0) rounded half away from zero, exact on integers of any size. -#}
{% macro round_div_half_away(n, d) -%}
  {{ return(adapter.dispatch('round_div_half_away', 'hub')(n, d)) }}
{%- endmacro %}

{% macro duckdb__round_div_half_away(n, d) -%}
  (case when ({{ n }}) < 0 then -1 else 1 end
    * ((abs({{ n }}) * 2 + ({{ d }})) // (({{ d }}) * 2)))
{%- endmacro %}

{% macro postgres__round_div_half_away(n, d) -%}
  (case when ({{ n }}) < 0 then -1 else 1 end
    * div(abs({{ n }}) * 2 + ({{ d }}), ({{ d }}) * 2))
{%- endmacro %}

{#- Join the FX validity ranges (int_fx_rates__ranged) for a currency and a day under `alias`. -#}
{% macro fx_join(alias, currency_expr, day_expr) -%}
  {{ return(adapter.dispatch('fx_join', 'hub')(alias, currency_expr, day_expr)) }}
{%- endmacro %}

{#- The ranges are contiguous per currency, so the range holding the day is the one with the
    latest valid_from on or before it: an ASOF join, which DuckDB answers by merging sorted
    inputs instead of testing every range of the currency (bench/README.md, dbt build). -#}
{% macro duckdb__fx_join(alias, currency_expr, day_expr) -%}
  asof left join {{ ref('int_fx_rates__ranged') }} as {{ alias }}
    on {{ alias }}.currency_code = {{ currency_expr }}
    and {{ day_expr }} >= {{ alias }}.valid_from
{%- endmacro %}

{% macro postgres__fx_join(alias, currency_expr, day_expr) -%}
  left join {{ ref('int_fx_rates__ranged') }} as {{ alias }}
    on {{ alias }}.currency_code = {{ currency_expr }}
    and {{ day_expr }} >= {{ alias }}.valid_from
    and ({{ day_expr }} < {{ alias }}.valid_to or {{ alias }}.valid_to is null)
{%- endmacro %}

{#- Join both rates a conversion at `day_expr` needs: `<prefix>_to` (reporting) and `<prefix>_from`. -#}
{% macro fx_join_pair(prefix, currency_expr, day_expr) -%}
  {{ fx_join(prefix ~ '_to', "'" ~ reporting_currency() ~ "'", day_expr) }}
  {{ fx_join(prefix ~ '_from', currency_expr, day_expr) }}
{%- endmacro %}

{#- The `reporting_currency` var, checked before it reaches SQL: three upper-case letters (an ISO
    4217 code, as ECB quotes them), else the build stops at compile time naming the var. A
    lower-case or quoted value would otherwise match no rate and report every amount as null. -#}
{% macro reporting_currency() -%}
  {%- set code = var('reporting_currency') | string -%}
  {%- if not modules.re.fullmatch('[A-Z]{3}', code) -%}
    {%- do exceptions.raise_compiler_error(
      "var reporting_currency=" ~ (code | tojson) ~ " is not an ISO 4217 code: use three upper-case letters, e.g. EUR") -%}
  {%- endif -%}
  {{- code -}}
{%- endmacro %}
