"""Reading DCAT-AP JSON-LD written by other catalogues: full IRIs, other prefixes, references."""

from __future__ import annotations

from smartcity.modules.opendata.dcat_source import read_page

# The shape a CKAN with ckanext-dcat or an EU portal serves: its own prefixes, a Catalog in a
# @graph whose datasets are separate nodes, distributions referenced by IRI, a paged view.
OTHERS = {
    "@context": {
        "d": "http://www.w3.org/ns/dcat#",
        "terms": "http://purl.org/dc/terms/",
        "title": {"@id": "http://purl.org/dc/terms/title"},
        "hydra": "http://www.w3.org/ns/hydra/core#",
    },
    "@graph": [
        {
            "@id": "https://data.example.eu/catalog",
            "@type": "d:Catalog",
            "d:dataset": [{"@id": "https://data.example.eu/dataset/bike-counts"}],
        },
        {
            "@id": "https://data.example.eu/dataset/Bike%20Counts",
            "@type": ["d:Dataset"],
            "title": [{"@value": "Bike counts", "@language": "en"}],
            "terms:description": "Hourly counts at 12 counters.",
            "terms:identifier": "8d7e-bike",
            "d:keyword": ["bikes", {"@value": "mobility", "@language": "en"}],
            "terms:publisher": {"@id": "https://data.example.eu/org/transport"},
            "terms:accrualPeriodicity": {
                "@id": "http://publications.europa.eu/resource/authority/frequency/HOURLY"
            },
            "d:distribution": [{"@id": "https://data.example.eu/dist/1"}],
        },
        {
            "@id": "https://data.example.eu/dist/1",
            "@type": "d:Distribution",
            "d:downloadURL": {"@id": "https://data.example.eu/files/bikes.csv"},
            "terms:format": {
                "@id": "http://publications.europa.eu/resource/authority/file-type/CSV"
            },
            "terms:license": {"@id": "https://creativecommons.org/licenses/by/4.0/"},
        },
        {
            "@id": "https://data.example.eu/dataset/copied",
            "@type": "http://www.w3.org/ns/dcat#Dataset",
            "http://purl.org/dc/terms/title": "A copy of someone else's",
            "http://purl.org/dc/terms/source": {"@id": "https://elsewhere.example/dataset/x"},
        },
        {
            "@id": "https://data.example.eu/catalog?page=1",
            "@type": "hydra:PartialCollectionView",
            "hydra:next": {"@id": "https://data.example.eu/catalog?page=2"},
        },
    ],
}


def test_a_foreign_dcat_ap_page_becomes_packages_and_a_next_link() -> None:
    packages, next_page = read_page(OTHERS)
    assert next_page == "https://data.example.eu/catalog?page=2"
    bikes, copy = packages
    assert bikes["id"] == "8d7e-bike" and bikes["name"] == "bike-counts"
    assert (bikes["title"], bikes["title_en"]) == ("Bike counts", "Bike counts")
    assert bikes["notes"] == "Hourly counts at 12 counters."
    assert [tag["name"] for tag in bikes["tags"]] == ["bikes", "mobility"]
    assert bikes["organization"] == {"name": "transport"}
    assert (bikes["frequency"], bikes["license_id"]) == ("hourly", "CC-BY-4.0")
    (resource,) = bikes["resources"]
    assert resource["id"] == "https://data.example.eu/dist/1"
    assert (resource["url"], resource["format"]) == (
        "https://data.example.eu/files/bikes.csv",
        "CSV",
    )
    assert bikes["extras"] == []
    # A copy is marked as one, so the harvest skips it as it skips CKAN copies.
    assert copy["extras"] == [
        {"key": "harvest_source", "value": "https://elsewhere.example/dataset/x"}
    ]


def test_a_dataset_without_any_id_is_left_out() -> None:
    blank = {"@type": "http://www.w3.org/ns/dcat#Dataset", "http://purl.org/dc/terms/title": "?"}
    assert read_page({"@graph": [blank]}) == ([], None)


def test_a_last_page_has_no_next_link() -> None:
    assert read_page({"@graph": []}) == ([], None)
    assert read_page([]) == ([], None)
