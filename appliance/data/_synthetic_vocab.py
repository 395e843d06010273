"""Word lists for the synthetic note generator: people, places, facilities.

These lists belong to the generator alone. They are deliberately independent of any de-identification
dictionary so that scoring a recognizer on synthetic notes does not reward it for sharing a word list
with the generator. Many entries are also ordinary English words (Hope, Will, Brown, Mobile, Normal):
that is the hard case for a de-identifier and the reason they are here.

Every entry is ASCII: upper-casing a note must not change its length, or gold offsets would drift.
"""

from __future__ import annotations

# fmt: off

FEMALE_FIRST: tuple[str, ...] = (
    "Hope", "Grace", "Faith", "Joy", "Rose", "June", "April", "May", "Dawn", "Ivy", "Iris", "Lily",
    "Violet", "Ruby", "Pearl", "Amber", "Crystal", "Summer", "Autumn", "Sandy", "Penny", "Holly", "Olive",
    "Hazel", "Daisy", "Bonnie", "Sunny", "Constance", "Patience", "Charity", "Mercy", "Mary", "Patricia",
    "Linda", "Barbara", "Elizabeth", "Jennifer", "Maria", "Susan", "Margaret", "Dorothy", "Lisa", "Nancy",
    "Karen", "Betty", "Helen", "Sandra", "Donna", "Carol", "Ruth", "Sharon", "Michelle", "Laura", "Sarah",
    "Kimberly", "Deborah", "Jessica", "Shirley", "Cynthia", "Angela", "Melissa", "Brenda", "Anna",
    "Virginia", "Kathleen", "Pamela", "Martha", "Debra", "Amanda", "Stephanie", "Carolyn", "Christine",
    "Marie", "Janet", "Catherine", "Frances", "Ann", "Joyce", "Diane", "Alice", "Julie", "Heather",
    "Teresa", "Doris", "Gloria", "Evelyn", "Jean", "Cheryl", "Mildred", "Katherine", "Joan", "Ashley",
    "Judith", "Rachel", "Emma", "Ximena", "Priya", "Aaliyah", "Mei", "Fatima", "Guadalupe", "Siobhan",
    "Ngozi", "Yuki", "Anjali", "Leilani",
)

MALE_FIRST: tuple[str, ...] = (
    "Will", "Mark", "Bill", "Frank", "Art", "Ray", "Gene", "Buck", "Rich", "Chase", "Hunter", "Dale",
    "Drew", "Cliff", "Glen", "Wade", "Miles", "Rusty", "Sonny", "Bud", "Royal", "King", "Major", "Chance",
    "Pat", "Lance", "Rod", "Jack", "Guy", "Grant", "Pierce", "Dean", "Earl", "Duke", "James", "John",
    "Robert", "Michael", "William", "David", "Richard", "Joseph", "Thomas", "Charles", "Christopher",
    "Daniel", "Matthew", "Anthony", "Donald", "Steven", "Paul", "Andrew", "Joshua", "Kenneth", "Kevin",
    "Brian", "George", "Edward", "Ronald", "Timothy", "Jason", "Jeffrey", "Ryan", "Jacob", "Gary",
    "Nicholas", "Eric", "Stephen", "Jonathan", "Larry", "Justin", "Scott", "Brandon", "Benjamin", "Samuel",
    "Gregory", "Alexander", "Patrick", "Dennis", "Jerry", "Tyler", "Aaron", "Jose", "Henry", "Adam",
    "Douglas", "Nathan", "Peter", "Zachary", "Kyle", "Walter", "Harold", "Carl", "Arthur", "Roger",
    "Keith", "Lawrence", "Terry", "Sean", "Rahul", "Wei", "Mohammed", "Santiago", "Oluwaseun", "Hiroshi",
    "Dmitri", "Kwame", "Tomasz",
)

LAST: tuple[str, ...] = (
    "Brown", "Black", "White", "Green", "Young", "King", "Bell", "Hill", "Wood", "Stone", "Rivers", "Lake",
    "Moody", "Strong", "Hale", "Frost", "Snow", "Winter", "Little", "Sharp", "Cross", "Wise", "Long",
    "Short", "Price", "Page", "Banks", "Fields", "Marsh", "Parks", "Mann", "Small", "Bush", "Love", "Best",
    "Moss", "Payne", "Bone", "Hart", "Fair", "Hope", "Will", "Grace", "Story", "Day", "Knight", "Golden",
    "Swift", "Cook", "Baker", "Carpenter", "Mason", "Fisher", "Hunter", "Cole", "Ford", "Lane", "Walker",
    "Rice", "Nurse", "Doctor", "Sick", "Bland", "Blood", "Foot", "Head", "Smith", "Johnson", "Williams",
    "Jones", "Garcia", "Miller", "Davis", "Rodriguez", "Martinez", "Hernandez", "Lopez", "Gonzalez",
    "Wilson", "Anderson", "Thomas", "Taylor", "Moore", "Jackson", "Martin", "Lee", "Perez", "Thompson",
    "Harris", "Sanchez", "Clark", "Ramirez", "Lewis", "Robinson", "Allen", "Wright", "Scott", "Torres",
    "Nguyen", "Flores", "Adams", "Nelson", "Carter", "Mitchell", "Roberts", "Gomez", "Phillips", "Evans",
    "Turner", "Diaz", "Parker", "Collins", "Edwards", "Stewart", "Morris", "Murphy", "Rogers", "Morgan",
    "Peterson", "Cooper", "Reed", "Bailey", "Kelly", "Howard", "Ramos", "Kim", "Cox", "Ward", "Richardson",
    "Watson", "Brooks", "Chavez", "Bennett", "Gray", "Mendoza", "Ruiz", "Hughes", "Alvarez", "Castillo",
    "Sanders", "Patel", "Myers", "Ross", "Foster", "Jimenez", "Powell", "Jenkins", "Perry", "Russell",
    "Sullivan", "Webb", "Henderson", "Coleman", "Simmons", "Patterson", "Jordan", "Reynolds", "Hamilton",
    "Graham", "Wallace", "Okafor", "Kowalski", "Nakamura", "Oyelaran", "Chaudhry", "Van der Berg",
    "O'Brien", "McAllister", "Fitzgerald", "St. Clair", "Dubois", "Haddad", "Abernathy", "Castellanos",
    "Lindqvist", "Papadopoulos", "Yamamoto", "Zielinski",
)

# (city, state) pairs. The state is not PHI under Safe Harbor; only the city is planted as a span.
CITIES: tuple[tuple[str, str], ...] = (
    ("Springfield", "IL"), ("Mobile", "AL"), ("Reading", "PA"), ("Bath", "ME"), ("Hope", "AR"),
    ("Normal", "IL"), ("Independence", "MO"), ("Bend", "OR"), ("Florence", "SC"), ("Warren", "MI"),
    ("Jackson", "MS"), ("Cleveland", "OH"), ("Orange", "CA"), ("Lowell", "MA"), ("Salem", "OR"),
    ("Marion", "IN"), ("Franklin", "TN"), ("Clinton", "IA"), ("Madison", "WI"), ("Georgetown", "TX"),
    ("Fairview", "NJ"), ("Riverside", "CA"), ("Greenville", "SC"), ("Bristol", "CT"), ("Dover", "DE"),
    ("Auburn", "AL"), ("Oxford", "MS"), ("Burlington", "VT"), ("Manchester", "NH"), ("Ashland", "KY"),
    ("Chester", "PA"), ("Milford", "CT"), ("Lebanon", "NH"), ("Troy", "NY"), ("Athens", "GA"),
    ("Paris", "TX"), ("Lancaster", "PA"), ("Kingston", "NY"), ("Newport", "RI"), ("Plymouth", "MN"),
    ("Bedford", "IN"), ("Canton", "OH"), ("Decatur", "IL"), ("Elgin", "IL"), ("Fremont", "NE"),
    ("Hamilton", "OH"), ("Joplin", "MO"), ("Kenosha", "WI"), ("Lawrence", "KS"), ("Medford", "OR"),
    ("Nashua", "NH"), ("Ogden", "UT"), ("Pueblo", "CO"), ("Quincy", "IL"), ("Rochester", "MN"),
    ("Sparks", "NV"), ("Tempe", "AZ"), ("Utica", "NY"), ("Vallejo", "CA"), ("Waco", "TX"),
    ("Yakima", "WA"), ("Zanesville", "OH"), ("Beaumont", "TX"), ("Champaign", "IL"), ("Duluth", "MN"),
    ("Eugene", "OR"), ("Flagstaff", "AZ"), ("Gainesville", "FL"), ("Hilo", "HI"), ("Ithaca", "NY"),
    ("Juneau", "AK"), ("Killeen", "TX"), ("Lubbock", "TX"), ("Missoula", "MT"), ("Norman", "OK"),
    ("Olympia", "WA"), ("Provo", "UT"), ("Roanoke", "VA"), ("Santa Fe", "NM"), ("Tacoma", "WA"),
    ("Victoria", "TX"), ("Wichita", "KS"), ("Bowling Green", "KY"), ("Grand Rapids", "MI"),
    ("Cedar Falls", "IA"), ("Sioux City", "IA"), ("Eau Claire", "WI"), ("Palm Springs", "CA"),
    ("Pine Bluff", "AR"), ("Rock Hill", "SC"), ("Twin Falls", "ID"), ("Walnut Creek", "CA"),
    ("West Haven", "CT"), ("Fort Wayne", "IN"), ("St. Cloud", "MN"),
)

STREET_NAMES: tuple[str, ...] = (
    "Maple", "Oak", "Pine", "Cedar", "Elm", "Birch", "Willow", "Hope", "Grace", "Church", "Mill", "Main",
    "Market", "Water", "Spring", "Lake", "Hill", "Park", "Washington", "Lincoln", "Jefferson", "Franklin",
    "Highland", "Sunset", "Ridge", "Meadow", "Orchard", "River", "Forest", "Valley", "Chestnut", "Walnut",
    "Poplar", "Sycamore", "Magnolia", "Dogwood", "Laurel", "Juniper", "Liberty", "Union", "Prospect",
    "Pleasant", "Center", "College", "School", "Railroad", "Depot", "Harbor", "Bay", "Shore", "Canal",
    "Bridge", "Ferry", "Quarry", "Summit", "Crescent", "Martin Luther King Jr", "Cesar Chavez",
    "Old County", "Peachtree", "Bluebonnet", "Cherry Blossom",
)

STREET_SUFFIXES: tuple[str, ...] = (
    "St", "St.", "Street", "Ave", "Ave.", "Avenue", "Rd", "Road", "Dr", "Drive", "Ln", "Lane", "Ct",
    "Blvd", "Way", "Pl", "Terrace", "Circle",
)

UNIT_FORMS: tuple[str, ...] = (
    "Apt {n}", "Apt. {n}{l}", "Unit {n}", "#{n}", "Suite {n}", "Lot {n}",
)

# Facility names are assembled from a place word and a kind, so the same facility recurs across notes.
FACILITY_PLACES: tuple[str, ...] = (
    "Mercy Valley", "St. Agnes", "Lakeside", "Riverbend", "Good Samaritan", "Northgate", "Pine Ridge",
    "Harborview", "Sacred Heart", "Cedar Grove", "Fairhaven", "Summit", "Bayfront", "Westbrook",
    "St. Brendan", "Holy Cross", "Prairie", "Blue Hills", "Meadowlands", "Eastside", "Hope",
    "Providence Hill", "Willow Creek", "Silver Lake", "Greenfield", "Maple Grove", "Union",
)

FACILITY_KINDS: tuple[str, ...] = (
    "Hospital", "Medical Center", "Regional Medical Center", "Community Hospital", "General Hospital",
    "Health System", "Memorial Hospital", "University Hospital",
)

EMAIL_DOMAINS: tuple[str, ...] = (
    "mailbox.example", "inbox.example.com", "netpost.example.org", "brightmail.example",
    "homeline.example.net", "quickpost.example",
)

# (relation word, sex of the relative): the sex picks a plausible first name.
RELATIONS: tuple[tuple[str, str], ...] = (
    ("wife", "F"), ("husband", "M"), ("daughter", "F"), ("son", "M"), ("sister", "F"), ("brother", "M"),
    ("mother", "F"), ("father", "M"), ("niece", "F"), ("nephew", "M"), ("granddaughter", "F"),
    ("grandson", "M"), ("partner", "F"), ("partner", "M"),
)

OCCUPATIONS: tuple[str, ...] = (
    "retired teacher", "retired machinist", "bus driver", "accountant", "farmer", "electrician",
    "retired nurse", "homemaker", "construction worker", "cashier", "software engineer", "truck driver",
    "retired postal worker", "line cook", "veteran, retired", "librarian", "mechanic",
)
