"""Built-in word lists for demo people and addresses (no external data, no real persons).

First names are common US given names; last names are among the most common US surnames
(Census 2010 surname list); streets are generic. Combinations are random, so any match with
a real person is coincidence.
"""

from __future__ import annotations

# fmt: off

FEMALE_FIRST_NAMES = (
    "Olivia", "Emma", "Ava", "Sophia", "Isabella", "Mia", "Amelia", "Harper", "Evelyn",
    "Abigail", "Emily", "Elizabeth", "Sofia", "Avery", "Ella", "Madison", "Scarlett",
    "Victoria", "Aria", "Grace", "Chloe", "Camila", "Penelope", "Riley", "Layla", "Lillian",
    "Nora", "Zoey", "Mila", "Aubrey", "Hannah", "Lily", "Addison", "Eleanor", "Natalie",
    "Luna", "Savannah", "Brooklyn", "Leah", "Zoe", "Stella", "Hazel", "Ellie", "Paisley",
    "Audrey", "Skylar", "Violet", "Claire", "Bella", "Aurora", "Lucy", "Anna", "Samantha",
    "Caroline", "Genesis", "Aaliyah", "Kennedy", "Kinsley", "Allison", "Maya", "Sarah",
    "Mary", "Patricia", "Jennifer", "Linda", "Barbara", "Susan", "Jessica", "Karen", "Nancy",
    "Lisa", "Margaret", "Sandra", "Ashley", "Kimberly", "Donna", "Michelle", "Dorothy",
    "Carol", "Amanda", "Melissa", "Deborah", "Stephanie", "Rebecca", "Sharon", "Laura",
    "Cynthia", "Kathleen", "Amy", "Angela", "Shirley", "Brenda", "Pamela", "Nicole", "Ruth",
    "Guadalupe", "Mariana", "Ximena", "Priya", "Aisha", "Mei", "Yuki", "Fatima", "Ngozi",
)

MALE_FIRST_NAMES = (
    "Liam", "Noah", "Oliver", "Elijah", "William", "James", "Benjamin", "Lucas", "Henry",
    "Alexander", "Mason", "Michael", "Ethan", "Daniel", "Jacob", "Logan", "Jackson", "Levi",
    "Sebastian", "Mateo", "Jack", "Owen", "Theodore", "Aiden", "Samuel", "Joseph", "John",
    "David", "Wyatt", "Matthew", "Luke", "Asher", "Carter", "Julian", "Grayson", "Leo",
    "Jayden", "Gabriel", "Isaac", "Lincoln", "Anthony", "Hudson", "Dylan", "Ezra", "Thomas",
    "Charles", "Christopher", "Jaxon", "Maverick", "Josiah", "Isaiah", "Andrew", "Elias",
    "Joshua", "Nathan", "Caleb", "Ryan", "Adrian", "Miles", "Eli", "Robert", "Richard",
    "Mark", "Donald", "Steven", "Paul", "Kenneth", "Kevin", "Brian", "George", "Timothy",
    "Ronald", "Edward", "Jason", "Jeffrey", "Gary", "Eric", "Stephen", "Larry", "Justin",
    "Scott", "Brandon", "Frank", "Gregory", "Raymond", "Patrick", "Jose", "Juan", "Carlos",
    "Luis", "Miguel", "Arjun", "Wei", "Hiroshi", "Omar", "Kwame", "Dmitri", "Tomasz",
)

LAST_NAMES = (
    "Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis",
    "Rodriguez", "Martinez", "Hernandez", "Lopez", "Gonzalez", "Wilson", "Anderson",
    "Thomas", "Taylor", "Moore", "Jackson", "Martin", "Lee", "Perez", "Thompson", "White",
    "Harris", "Sanchez", "Clark", "Ramirez", "Lewis", "Robinson", "Walker", "Young", "Allen",
    "King", "Wright", "Scott", "Torres", "Nguyen", "Hill", "Flores", "Green", "Adams",
    "Nelson", "Baker", "Hall", "Rivera", "Campbell", "Mitchell", "Carter", "Roberts", "Gomez",
    "Phillips", "Evans", "Turner", "Diaz", "Parker", "Cruz", "Edwards", "Collins", "Reyes",
    "Stewart", "Morris", "Morales", "Murphy", "Cook", "Rogers", "Gutierrez", "Ortiz",
    "Morgan", "Cooper", "Peterson", "Bailey", "Reed", "Kelly", "Howard", "Ramos", "Kim",
    "Cox", "Ward", "Richardson", "Watson", "Brooks", "Chavez", "Wood", "James", "Bennett",
    "Gray", "Mendoza", "Ruiz", "Hughes", "Price", "Alvarez", "Castillo", "Sanders", "Patel",
    "Myers", "Long", "Ross", "Foster", "Jimenez", "Sullivan", "O'Brien", "Kowalski",
    "Murray", "Russo", "Romano", "Chen", "Wang", "Singh", "Okafor", "Nowak", "Cohen",
)

STREET_NAMES = (
    "Main", "Maple", "Oak", "Elm", "Washington", "Park", "Church", "High", "Pine", "Cedar",
    "Prospect", "Chestnut", "Spring", "Center", "Hillside", "Meadow", "Ridge", "Lake",
    "Highland", "Orchard", "Winter", "Summer", "Franklin", "Lincoln", "Mill", "River",
    "Forest", "Birch", "Willow", "Walnut", "Academy", "Liberty", "Union", "Grove", "School",
    "Farm", "Brook", "Pleasant", "Laurel", "Hawthorne", "Sunset", "Fairview", "Colonial",
)

STREET_SUFFIXES = ("St", "Ave", "Rd", "Ln", "Dr", "Ct", "Pl", "Way", "Ter", "Blvd")

# Area codes of the states the demo population lives in; numbers are 555-01xx (fictional).
AREA_CODES = {"CT": ("203", "860", "475", "959"), "RI": ("401",), "MA": ("413", "508", "774"),
              "NY": ("914", "845", "631", "516")}
DEFAULT_AREA_CODES = ("860",)
# fmt: on
