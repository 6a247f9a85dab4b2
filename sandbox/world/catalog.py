"""Fixed vocabularies of the synthetic business: products, names, places, currencies."""

from decimal import Decimal

# Rough EUR cross rates used to price products in a deal's currency (the ECB series drift around them).
FX_BASE: dict[str, float] = {"USD": 1.08, "GBP": 0.86, "SEK": 11.30, "CHF": 0.94}
COUNTRY_CURRENCY: dict[str, str] = {
    "US": "USD", "GB": "GBP", "SE": "SEK", "CH": "CHF", "DE": "EUR", "FR": "EUR", "NL": "EUR", "ES": "EUR",
}
CITIES: dict[str, list[tuple[str, str, str]]] = {  # country -> (city, state/province, postal code)
    "US": [("Austin", "TX", "78701"), ("Denver", "CO", "80202"), ("Boston", "MA", "02108")],
    "GB": [("London", "ENG", "EC1A 1BB"), ("Leeds", "ENG", "LS1 4DY")],
    "SE": [("Stockholm", "AB", "111 52"), ("Malmo", "SKA", "211 20")],
    "CH": [("Zurich", "ZH", "8001"), ("Basel", "BS", "4051")],
    "DE": [("Berlin", "BE", "10115"), ("Munich", "BY", "80331")],
    "FR": [("Paris", "IDF", "75001"), ("Lyon", "ARA", "69001")],
    "NL": [("Amsterdam", "NH", "1012"), ("Utrecht", "UT", "3511")],
    "ES": [("Madrid", "MD", "28001"), ("Valencia", "VC", "46001")],
}
FIRST_NAMES = ["Ada", "Ben", "Chloe", "Dan", "Eva", "Finn", "Greta", "Hugo", "Ines", "Jon", "Kira", "Lars",
               "Mia", "Noah", "Olga", "Paul", "Quinn", "Rosa", "Sven", "Tara", "Uma", "Vik", "Wen", "Yara"]
LAST_NAMES = ["Andersson", "Brown", "Costa", "Dubois", "Evans", "Fischer", "Garcia", "Hansen", "Ito",
              "Jensen", "Keller", "Lopez", "Meyer", "Novak", "Olsen", "Patel", "Rossi", "Smith", "Weber"]
COMPANY_WORDS = ["Acme", "Nordic", "Alpine", "Harbor", "Summit", "Vertex", "Lumen", "Granite", "Cedar",
                 "Orbit", "Pioneer", "Beacon", "Atlas", "Meridian", "Quartz", "Willow"]
COMPANY_SUFFIX = ["GmbH", "Ltd", "AB", "AG", "Inc", "BV", "SAS", "SL"]
PRODUCT_WORDS = ["Sensor", "Gateway", "Controller", "Valve", "Pump", "Panel", "Relay", "Meter", "Drive",
                 "Cable Kit", "Mount", "Display"]
CAMPAIGN_THEMES = ["brand", "prospecting", "retargeting", "spring_sale", "summer_launch", "black_friday",
                   "webinar", "demo_request", "trade_show", "lookalike", "competitor", "generic_search"]
REGIONS = ["us", "uk", "de", "nordics", "ch", "fr", "benelux", "es", "global"]
UNKNOWN_CAMPAIGNS = ["legacy_promo_2024", "partner_newsletter_q3", "fb_old_retargeting", "gads_test_campaign"]
UNMAPPED_SOURCES = ["linkedin", "newsletter", "bing"]
CARRIERS = [("ups", "ups_ground"), ("fedex", "fedex_ground"), ("dhl_express", "dhl_express_worldwide")]
ORDER_SOURCES = ["shopify", "amazon_us", "woo_commerce", "etsy"]


def product_catalog() -> list[tuple[str, str, Decimal]]:
    """(sku, name, EUR list price) for every product; fixed, independent of the seed."""
    products = []
    for k in range(40):
        word = PRODUCT_WORDS[k % len(PRODUCT_WORDS)]
        series = ["S", "M", "X", "Pro"][k // len(PRODUCT_WORDS) % 4]
        price = Decimal(25 + (k * 7919) % 1975) + Decimal((k * 37) % 100) / 100
        products.append((f"SKU-{1000 + k}", f"{word} {series}", price))
    return products
